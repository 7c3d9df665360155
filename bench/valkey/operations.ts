/**
 * The operations the services run on a Valkey shard, each driven through the code that runs it in production:
 * meetings' seat ledger and created-room marks, chat's fan-out, presence and rate limits, and the one Redis
 * command of the chat handshake. One `Operation` is one event of the product (a join's seat, a message's
 * publish, a socket's heartbeat), so its ops/s compare directly with the demand model (demand.ts).
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RoomServiceClient } from "livekit-server-sdk";
import { MeetingBus } from "../../apps/chat/src/meeting-bus.ts";
import { eventFrame } from "../../apps/chat/src/protocol.ts";
import { MeetingSeats } from "../../apps/meetings/src/meeting-seats.ts";
import { mainRoomName } from "../../apps/meetings/src/meetings-store.ts";
import { RoomProvisioner } from "../../apps/meetings/src/room-provisioner.ts";
import { createLogger, createRateLimiter, RedisShards } from "../../apps/shared/src/index.ts";

/** Participants per meeting: the product's largest meeting (bench/meetings, bench/chat). */
export const PARTICIPANTS = 500;
/** The services' defaults the operations depend on (the config.ts of apps/meetings, apps/chat and apps/auth). */
export const SETTINGS = {
  /** MEETINGS_SEAT_HOLD_SECONDS */
  seatHoldSeconds: 120,
  /** MEETINGS_LARGE_MEETING_THRESHOLD: a 500-seat room is a large one. */
  largeMeetingThreshold: 100,
  /** CHAT_REPLAY_WINDOW */
  replayWindow: 1000,
  /** CHAT_HEARTBEAT_MS */
  heartbeatMs: 30_000,
  /** CHAT_RATE_MESSAGES */
  chatMessages: { limit: 20, windowSeconds: 10 },
  /** AUTH_CHAT_TICKET_TTL_SECONDS */
  chatTicketTtlSeconds: 60,
};

export type OperationKind =
  | "seat-admit"
  | "seat-connected"
  | "seat-reconcile"
  | "seat-release"
  | "room-mark"
  | "chat-ticket"
  | "chat-presence-join"
  | "chat-presence-refresh"
  | "chat-rate-limit"
  | "chat-signal"
  | "chat-publish";

export interface Operation {
  kind: OperationKind;
  /** What the service does, and where (for the results table). */
  what: string;
  /** Pub/sub subscribers on each meeting's channel while it runs (chat replicas with sockets in the meeting). */
  subscribers?: number;
  /** Runs the phase's next op on this connection; false once the phase has nothing left to do. */
  run(): Promise<boolean>;
}

/** State shared by consecutive phases: the seats the admit phase took are then marked, reconciled, released. */
export interface Fixture {
  /** The meetings messages, signals and rate-limit keys go round (`--meetings`). */
  meetings: string[];
  /** The meetings the seat and presence phases fill, one after another, PARTICIPANTS each. */
  filling: string[];
  /** Meetings the admit phase filled (each with PARTICIPANTS seats), in order. */
  admitted: number;
  /** Presence entries the presence-join phase added. */
  present: number;
  seq: Map<string, number>;
}

export function newFixture(meetingCount: number): Fixture {
  return {
    meetings: Array.from({ length: meetingCount }, () => randomUUID()),
    filling: [],
    admitted: 0,
    present: 0,
    seq: new Map(),
  };
}

/** The i-th participant of the i-th seat overall: meetings fill one after another, as in a join storm. */
const identity = (i: number) => `00000000-0000-4000-8000-${String(i % PARTICIPANTS).padStart(12, "0")}`;

/** LiveKit is not under test: the room service answers that the room exists, as it does for a live meeting. */
const rooms = {
  listRooms: async (names: string[]) => names.map((name) => ({ name, sid: "RM_bench" })),
  createRoom: async ({ name }: { name: string }) => ({ name, sid: "RM_bench" }),
} as unknown as RoomServiceClient;

const logger = createLogger({ service: "bench-valkey", level: "error" });

const BODY = "x".repeat(100);

/**
 * Builds one phase's operation on one connection. `next` hands out the phase's running op number, shared by
 * every connection, so that all of them fill the same meetings in order.
 */
export function operation(
  kind: OperationKind,
  redis: Redis,
  fixture: Fixture,
  next: () => number,
  subscribers = 0,
): Operation {
  const shards = new RedisShards([redis]);
  const seats = new MeetingSeats(shards, SETTINGS.seatHoldSeconds);
  const provisioner = new RoomProvisioner(
    rooms,
    redis,
    {
      largeMeetingThreshold: SETTINGS.largeMeetingThreshold,
      placementSpacingMs: 0,
      emptyTimeoutSeconds: 300,
      departureTimeoutSeconds: 20,
    },
    logger,
    shards,
  );
  const bus = new MeetingBus(shards, SETTINGS.replayWindow);
  const limiter = createRateLimiter({
    redis,
    name: "chat_messages",
    rule: SETTINGS.chatMessages,
    prefix: "gomeet:chat",
  });
  const seatMeeting = (i: number) => fillingMeeting(fixture, Math.floor(i / PARTICIPANTS));
  const roundRobin = (i: number) => fixture.meetings[i % fixture.meetings.length] as string;
  const presenceTtlMs = SETTINGS.heartbeatMs * 3;
  const filled = () => fixture.admitted * PARTICIPANTS;

  const ops: Record<OperationKind, Omit<Operation, "kind">> = {
    "seat-admit": {
      what: "meetings, per join: seat script + created-room mark read (MeetingSeats.admit; sent unpipelined here, auto-pipelined by the meetings server)",
      run: async () => {
        const i = next();
        const meetingId = seatMeeting(i);
        const room = provisioner.markKey(mainRoomName(meetingId));
        const seat = await seats.admit(meetingId, identity(i), PARTICIPANTS, room);
        if (!seat.admitted) throw new Error(`seat ${i} refused: the ledger is off`);
        fixture.admitted = Math.max(fixture.admitted, Math.floor((i + 1) / PARTICIPANTS));
        return true;
      },
    },
    "seat-connected": {
      what: "meetings, per participant_joined webhook: seat marked connected (MeetingSeats.markConnected)",
      run: async () => {
        const i = next();
        if (i >= filled()) return false;
        await seats.markConnected(seatMeeting(i), identity(i));
        return true;
      },
    },
    "seat-reconcile": {
      what: `meetings, per live meeting every reconcile interval: ledger rebuilt from ${PARTICIPANTS} connected identities (MeetingSeats.reconcile)`,
      run: async () => {
        const i = next();
        if (fixture.admitted === 0) return false;
        const meetingId = seatMeeting((i % fixture.admitted) * PARTICIPANTS);
        const connected = Array.from({ length: PARTICIPANTS }, (_, n) => identity(n));
        await seats.reconcile(meetingId, connected);
        return true;
      },
    },
    "seat-release": {
      what: "meetings, per participant_left webhook: seat released (MeetingSeats.release)",
      run: async () => {
        const i = next();
        if (i >= filled()) return false;
        await seats.release(seatMeeting(i), identity(i));
        return true;
      },
    },
    "room-mark": {
      what: "meetings, per room every 20 s while joins come: lapsed created-room mark read and set again (RoomProvisioner.ensureRoom, large room)",
      run: async () => {
        // A fresh room each time: its mark is missing, as when the 20 s mark of a live room lapsed.
        await provisioner.ensureRoom(mainRoomName(randomUUID()), PARTICIPANTS, {}, undefined, null);
        return true;
      },
    },
    "chat-ticket": {
      what: "chat, per socket opened: single-use ticket SET NX EX (handshake.ts; on REDIS_URL = shard 0)",
      run: async () => {
        const ttl = SETTINGS.chatTicketTtlSeconds + 5;
        await redis.set(`gomeet:chat:ticket:${randomUUID()}`, "1", "EX", ttl, "NX");
        return true;
      },
    },
    "chat-presence-join": {
      what: `chat, per socket opened: presence script on a set filling up to ${PARTICIPANTS} (MeetingBus.presence)`,
      run: async () => {
        const i = next();
        await bus.presence(seatMeeting(i), "join", identity(i), `s${i}`, presenceTtlMs);
        fixture.present = Math.max(fixture.present, i + 1);
        return true;
      },
    },
    "chat-presence-refresh": {
      what: "chat, per socket every heartbeat: presence expiry pushed forward, ZADD XX (MeetingBus.refreshPresence)",
      run: async () => {
        if (fixture.present === 0) return false;
        const n = next() % fixture.present;
        await bus.refreshPresence(
          [{ meetingId: seatMeeting(n), userId: identity(n), socketId: `s${n}` }],
          presenceTtlMs,
        );
        return true;
      },
    },
    "chat-rate-limit": {
      what: "chat, per message or signal (auth: per login and refresh): GCRA script (createRateLimiter.consume)",
      run: async () => {
        const i = next();
        await limiter.consume(`${roundRobin(i)}:${identity(Math.floor(i / fixture.meetings.length))}`);
        return true;
      },
    },
    "chat-signal": {
      what: "chat, per presence edge, hand or reaction: PUBLISH to the meeting's channel (MeetingBus.publishSignal)",
      subscribers,
      run: async () => {
        const i = next();
        await bus.publishSignal(roundRobin(i), `{"v":1,"type":"signal","kind":"reaction","n":${i}}`);
        return true;
      },
    },
    "chat-publish": {
      what: "chat, per message: replay-window script with PUBLISH to the meeting's channel (MeetingBus.publishEvents)",
      subscribers,
      run: async () => {
        const meetingId = roundRobin(next());
        const seq = (fixture.seq.get(meetingId) ?? 0) + 1;
        fixture.seq.set(meetingId, seq);
        const frame = eventFrame({
          meetingId,
          seq,
          kind: "message",
          senderId: identity(seq),
          senderName: "Bench Participant",
          clientMsgId: randomUUID(),
          body: BODY,
          targetSeq: null,
          targetUser: null,
          deleted: false,
          at: new Date().toISOString(),
        });
        await bus.publishEvents([{ meetingId, seq, frame }]);
        return true;
      },
    },
  };
  return { kind, ...ops[kind] };
}

/** The n-th meeting the seat and presence phases fill (a new id once the previous one has PARTICIPANTS). */
function fillingMeeting(fixture: Fixture, n: number): string {
  while (fixture.filling.length <= n) fixture.filling.push(randomUUID());
  return fixture.filling[n] as string;
}
