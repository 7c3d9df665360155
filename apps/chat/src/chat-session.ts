import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { Logger, RateLimiter } from "../../shared/src/index.ts";
import { type AppendOutcome, type Author, deleteMessage, setMuted } from "./event-log.ts";
import { BatchCommitError } from "./group-commit.ts";
import type { MeetingBus } from "./meeting-bus.ts";
import { canModerate, type MeetingRole } from "./membership.ts";
import type { MessageOutcome } from "./message-batch.ts";
import type { MessageWriter } from "./message-writer.ts";
import {
  CLOSE,
  type ClientFrame,
  errorFrame,
  eventFrame,
  parseClientFrame,
  serverFrame,
} from "./protocol.ts";
import type { RoomMember, RoomRegistry } from "./rooms.ts";
import type { ChatShards } from "./shards.ts";

/** How long a cut-off consumer has to read up to the close frame (and learn why) before the TCP is dropped. */
const SLOW_CONSUMER_CLOSE_GRACE_MS = 5000;

export interface SessionDeps {
  registry: RoomRegistry;
  bus: MeetingBus;
  shards: ChatShards;
  logger: Logger;
  /** Messages go through the group commit of their shard. */
  writer: MessageWriter;
  /** Rate limiters live on the Valkey shard of the meeting they count for. */
  messageLimiter: (meetingId: string) => RateLimiter;
  signalLimiter: (meetingId: string) => RateLimiter;
  maxMessageChars: number;
  slowConsumerBytes: number;
  presenceTtlMs: number;
  onMessageStored: () => void;
  onProtocolError: (code: string) => void;
  onSlowConsumer: () => void;
}

export interface SessionIdentity {
  meetingId: string;
  userId: string;
  name: string;
  role: MeetingRole;
  /** The auth session the socket's ticket was issued under, when the ticket names one. */
  sessionId?: string | undefined;
}

/** One participant's socket: reads client frames, writes acks, errors and the meeting's fan-out. */
export class ChatSession implements RoomMember {
  readonly socketId = randomUUID();
  live = false;
  alive = true;
  private closed = false;
  private ended = false;
  private draining = false;
  /** Durable work runs one frame at a time so a participant's messages keep their sending order. */
  private chain: Promise<void> = Promise.resolve();
  private readonly author: Author;

  constructor(
    private readonly socket: WebSocket,
    readonly identity: SessionIdentity,
    private readonly deps: SessionDeps,
  ) {
    this.author = { userId: identity.userId, name: identity.name };
    socket.on("pong", () => {
      this.alive = true;
    });
  }

  /** Sends unless the socket has fallen too far behind; then it is cut off and must resume. */
  deliver(frame: string): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.deps.slowConsumerBytes) {
      this.cutOff(CLOSE.slowConsumer, "slow_consumer");
      return;
    }
    this.socket.send(frame);
  }

  /**
   * A resume can replay thousands of frames at once: past half the slow-consumer bound it waits until the
   * frame is written to the kernel, so the replay goes at the client's reading speed instead of cutting it off.
   */
  private replay(frame: string): void | Promise<void> {
    if (this.closed) return;
    if (this.socket.bufferedAmount <= this.deps.slowConsumerBytes / 2) {
      this.socket.send(frame);
      return;
    }
    return new Promise((resolve) => this.socket.send(frame, () => resolve()));
  }

  private cutOff(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    if (code === CLOSE.slowConsumer) this.deps.onSlowConsumer();
    this.socket.close(code, reason);
    // The close frame waits behind everything queued; a consumer that never reads must still go.
    setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS).unref();
  }

  /**
   * Ends the socket for good (removed from the meeting, or its session ended): nothing it sent that is not
   * stored yet will be, and the close code tells the client not to resume (docs/services/chat.md).
   */
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.ended = true;
    this.cutOff(code, reason);
  }

  async open(lastSeq: number | undefined): Promise<void> {
    const { meetingId, userId, name, role } = this.identity;
    const presence = await this.deps.bus
      .presence(meetingId, "join", userId, this.socketId, this.deps.presenceTtlMs)
      .catch(() => undefined);
    this.deliver(
      serverFrame("welcome", {
        meetingId,
        you: { userId, name, role },
        participants: presence?.count ?? null,
      }),
    );
    const joined = await this.deps.registry.join(meetingId, this, lastSeq, (frame) => this.replay(frame));
    if (this.closed) {
      // The socket went away while it caught up: closeSession ran before the room held it.
      this.deps.registry.leave(meetingId, this);
      return;
    }
    if (joined.replay === "reload") {
      this.deliver(serverFrame("reload", { seq: joined.head, reason: "resume_out_of_range" }));
    } else {
      this.deliver(
        serverFrame("synced", { seq: joined.head, replay: joined.replay, replayed: joined.replayed }),
      );
    }
    if (presence?.edge) {
      await this.signal({ kind: "presence", action: "join", user: { userId, name }, count: presence.count });
    }
  }

  async closeSession(): Promise<void> {
    this.closed = true;
    this.live = false;
    const { meetingId, userId, name } = this.identity;
    this.deps.registry.leave(meetingId, this);
    const presence = await this.deps.bus
      .presence(meetingId, "leave", userId, this.socketId, this.deps.presenceTtlMs)
      .catch(() => undefined);
    if (presence?.edge) {
      await this.signal({ kind: "presence", action: "leave", user: { userId, name }, count: presence.count });
    }
  }

  private async signal(fields: Record<string, unknown>): Promise<void> {
    await this.deps.bus
      .publishSignal(this.identity.meetingId, serverFrame("signal", fields))
      .catch((error) => this.deps.logger.warn("signal not published", { error: String(error) }));
  }

  private refuse(
    code: Parameters<typeof errorFrame>[0],
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    this.deps.onProtocolError(code);
    this.deliver(errorFrame(code, message, extra));
  }

  onFrame(data: unknown): void {
    if (this.closed) return;
    const parsed = parseClientFrame(data);
    if (!parsed.ok) {
      this.refuse(parsed.code, parsed.message, parsed.id ? { id: parsed.id } : {});
      return;
    }
    const { frame } = parsed;
    if (this.draining) {
      this.refuse(
        "draining",
        "this server is shutting down: reconnect and send again",
        "id" in frame ? { id: frame.id } : {},
      );
      return;
    }
    if (frame.type === "hand" || frame.type === "react") {
      void this.handleSignal(frame);
      return;
    }
    this.chain = this.chain
      .then(() => (this.ended ? undefined : this.handleDurable(frame)))
      .catch((error) => {
        this.deps.logger.error("frame failed", { error: String(error) });
        const why = error instanceof BatchCommitError ? " (its batch was not committed)" : "";
        this.refuse("unavailable", `the message could not be stored${why}: send it again`, { id: frame.id });
      });
  }

  private async allowed(limiter: RateLimiter, id?: string): Promise<boolean> {
    try {
      const decision = await limiter.consume(`${this.identity.meetingId}:${this.identity.userId}`);
      if (decision.allowed) return true;
      this.refuse(
        "rate_limited",
        `too many frames: at most ${limiter.rule.limit} per ${limiter.rule.windowSeconds} s`,
        {
          retryAfterMs: Math.max(1, decision.retryAfterSeconds) * 1000,
          ...(id ? { id } : {}),
        },
      );
    } catch {
      this.refuse("unavailable", "the rate limiter is unavailable: try again", id ? { id } : {});
    }
    return false;
  }

  private async handleSignal(frame: Extract<ClientFrame, { type: "hand" | "react" }>): Promise<void> {
    if (!(await this.allowed(this.deps.signalLimiter(this.identity.meetingId)))) return;
    const user = { userId: this.identity.userId, name: this.identity.name };
    await this.signal(
      frame.type === "hand"
        ? { kind: "hand", user, raised: frame.raised }
        : { kind: "reaction", user, emoji: frame.emoji },
    );
  }

  private async handleDurable(frame: Exclude<ClientFrame, { type: "hand" | "react" }>): Promise<void> {
    if (frame.type === "send") {
      const chars = [...frame.text].length;
      if (chars > this.deps.maxMessageChars) {
        this.refuse(
          "too_large",
          `text: expected at most ${this.deps.maxMessageChars} characters, got ${chars}`,
          { id: frame.id },
        );
        return;
      }
      if (frame.text.trim().length === 0) {
        this.refuse("empty_message", "text: expected at least one non-blank character", { id: frame.id });
        return;
      }
    } else if (!canModerate(this.identity.role)) {
      this.refuse("forbidden", `${frame.type}: only the host and co-hosts moderate chat`, { id: frame.id });
      return;
    }
    if (!(await this.allowed(this.deps.messageLimiter(this.identity.meetingId), frame.id))) return;
    const { meetingId } = this.identity;
    // Messages are published by their batch (message-writer.ts); moderation events one at a time, here.
    let outcome: AppendOutcome | MessageOutcome;
    if (frame.type === "send") {
      outcome = await this.deps.writer.store({
        meetingId,
        author: this.author,
        clientMsgId: frame.id,
        text: frame.text,
      });
      if (outcome.status === "stored") this.deps.onMessageStored();
    } else {
      const sql = this.deps.shards.forMeeting(meetingId);
      const moderation =
        frame.type === "delete"
          ? await deleteMessage(sql, meetingId, this.author, frame.id, frame.seq)
          : await setMuted(sql, meetingId, this.author, frame.id, frame.userId, frame.type === "mute");
      outcome = moderation;
      if (moderation.status === "stored") {
        const { event, tombstone } = moderation;
        const replace = tombstone ? { seq: tombstone.seq, frame: eventFrame(tombstone) } : undefined;
        // Durable already: a failed publish is repaired by the meeting sync, so the ack still goes out.
        await this.deps.bus
          .publishEvent(meetingId, event.seq, eventFrame(event), replace)
          .catch((error) =>
            this.deps.logger.warn("event not published", { seq: event.seq, error: String(error) }),
          );
      }
    }

    if (outcome.status === "muted")
      return this.refuse("muted", "a moderator muted you in this chat", { id: frame.id });
    if (outcome.status === "not_found") {
      return this.refuse(
        "not_found",
        "seq: no message with that sequence number (or it is already deleted)",
        {
          id: frame.id,
        },
      );
    }
    this.deliver(
      serverFrame("ack", {
        id: frame.id,
        seq: outcome.event.seq,
        duplicate: outcome.status === "duplicate",
      }),
    );
  }

  /** Heartbeat tick: a socket that did not answer the previous ping is gone. */
  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.closed = true;
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /** Shutdown: finish the frames already taken, then tell the client to reconnect elsewhere. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.chain;
    if (this.closed) return;
    this.deliver(serverFrame("reconnect", { reason: "shutdown" }));
    this.closed = true;
    this.socket.close(CLOSE.serviceRestart, "shutdown");
  }
}
