import { z } from "zod";
import type { ChatEvent } from "./event-log.ts";

/** Version of the JSON protocol on /v1/chat/ws (docs/services/chat.md); every frame carries it as `v`. */
export const PROTOCOL_VERSION = 1;

/** Close codes the server uses (4000–4999 are the application's range, RFC 6455 §7.4.2). */
export const CLOSE = {
  /** Server restart: reconnect (to another replica) and resume. */
  serviceRestart: 1012,
  slowConsumer: 4008,
  heartbeatMissed: 4009,
  /** The session the ticket was issued under ended, or the account was disabled: sign in again. */
  sessionEnded: 4401,
  /** A moderator removed the participant from the meeting: do not reconnect, the meeting is closed to them. */
  removed: 4403,
} as const;

const clientId = z
  .string({ error: "expected a string" })
  .min(1, { error: "expected 1 to 64 characters" })
  .max(64, { error: "expected 1 to 64 characters" })
  .regex(/^[\w\-.:]+$/, { error: "expected letters, digits and - _ . : only" });

const uuid = z.uuid({ error: "expected a UUID" });

/** Reactions are a closed set so a reaction can never carry arbitrary text past the message limits. */
export const REACTIONS = ["👍", "👏", "❤️", "😂", "😮", "🎉", "🙏", "👋"] as const;

const version = z.literal(PROTOCOL_VERSION, { error: `expected protocol version ${PROTOCOL_VERSION}` });

export const ClientFrame = z.discriminatedUnion(
  "type",
  [
    z.object({
      v: version,
      type: z.literal("send"),
      id: clientId,
      text: z.string({ error: "expected a string" }),
    }),
    z.object({
      v: version,
      type: z.literal("delete"),
      id: clientId,
      seq: z.number({ error: "expected a number" }).int({ error: "expected an integer" }).min(1),
    }),
    z.object({ v: version, type: z.literal("mute"), id: clientId, userId: uuid }),
    z.object({ v: version, type: z.literal("unmute"), id: clientId, userId: uuid }),
    z.object({ v: version, type: z.literal("hand"), raised: z.boolean({ error: "expected true or false" }) }),
    z.object({
      v: version,
      type: z.literal("react"),
      emoji: z.enum(REACTIONS, { error: "expected one of the reactions" }),
    }),
  ],
  { error: "expected type send, delete, mute, unmute, hand or react" },
);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Why a frame was refused; the `code` of an error frame. */
export type ProtocolErrorCode =
  | "malformed_frame"
  | "invalid_frame"
  | "too_large"
  | "empty_message"
  | "rate_limited"
  | "muted"
  | "forbidden"
  | "not_found"
  | "draining"
  | "unavailable";

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ProtocolErrorCode; message: string; id?: string };

/** Reads one text frame; never throws. Error messages name the field and the rule, never echo the value. */
export function parseClientFrame(data: unknown): ParsedFrame {
  if (typeof data !== "string") {
    return { ok: false, code: "malformed_frame", message: "frames must be UTF-8 text holding JSON" };
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, code: "malformed_frame", message: "frame is not valid JSON" };
  }
  const parsed = ClientFrame.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "frame";
  const id =
    json &&
    typeof json === "object" &&
    "id" in json &&
    clientId.safeParse((json as { id: unknown }).id).success
      ? String((json as { id: unknown }).id)
      : undefined;
  return {
    ok: false,
    code: "invalid_frame",
    message: `${field}: ${issue?.message ?? "invalid"}`,
    ...(id ? { id } : {}),
  };
}

/** The wire form of a durable event, built once and sent as-is to every socket. */
export function eventFrame(event: ChatEvent): string {
  const common = { v: PROTOCOL_VERSION, type: "event", seq: event.seq, kind: event.kind, at: event.at };
  const from = { userId: event.senderId, name: event.senderName };
  switch (event.kind) {
    case "message":
      return JSON.stringify({
        ...common,
        id: event.clientMsgId,
        from,
        text: event.body,
        ...(event.deleted ? { deleted: true } : {}),
      });
    case "delete":
      return JSON.stringify({ ...common, by: from, targetSeq: event.targetSeq });
    default:
      return JSON.stringify({ ...common, by: from, userId: event.targetUser });
  }
}

export function serverFrame(type: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type, ...fields });
}

export function errorFrame(
  code: ProtocolErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): string {
  return serverFrame("error", { code, message, ...extra });
}
