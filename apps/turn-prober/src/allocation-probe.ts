import { createSocket, type Socket } from "node:dgram";
import type { TurnRestCredential } from "./rest-credential.ts";
import {
  decodeStunMessage,
  encodeStunMessage,
  errorCode,
  findAttribute,
  hasValidIntegrity,
  longTermKey,
  newTransactionId,
  StunAttribute,
  type StunMessage,
  StunMethod,
  TRANSPORT_UDP,
  xorAddress,
} from "./stun-message.ts";

/**
 * One end-to-end TURN allocation over UDP, as a WebRTC client performs it (RFC 8656 §7): an unauthenticated
 * Allocate to learn realm and nonce from the 401, an authenticated Allocate, then a Refresh with lifetime 0
 * so the relay is released at once instead of idling on the server.
 */
export type ProbeOutcome = "ok" | "auth_failed" | "timeout" | "error";

export interface ProbeResult {
  outcome: ProbeOutcome;
  durationSeconds: number;
  relayedAddress?: { address: string; port: number };
  detail?: string;
}

export interface ProbeTarget {
  host: string;
  port: number;
}

class ProbeFailure extends Error {
  constructor(
    readonly outcome: Exclude<ProbeOutcome, "ok">,
    message: string,
  ) {
    super(message);
  }
}

/** Sends a request and retransmits it (RFC 5389 §7.2.1: RTO doubling from 500 ms) until a matching response. */
async function transact(
  socket: Socket,
  target: ProbeTarget,
  packet: Buffer,
  transactionId: Buffer,
  deadline: number,
) {
  return await new Promise<{ message: StunMessage; raw: Buffer }>((resolve, reject) => {
    let rto = 500;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: Error, value?: { message: StunMessage; raw: Buffer }) => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      if (error) reject(error);
      else if (value) resolve(value);
    };
    const onMessage = (raw: Buffer) => {
      let message: StunMessage;
      try {
        message = decodeStunMessage(raw);
      } catch {
        return;
      }
      if (message.transactionId.equals(transactionId)) finish(undefined, { message, raw });
    };
    const send = () => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        finish(new ProbeFailure("timeout", `no answer from ${target.host}:${target.port}`));
        return;
      }
      socket.send(packet, target.port, target.host, (error) => {
        if (error) finish(new ProbeFailure("error", `send failed: ${error.message}`));
      });
      timer = setTimeout(send, Math.min(rto, remaining));
      rto *= 2;
    };
    socket.on("message", onMessage);
    send();
  });
}

function describeError(message: StunMessage): string {
  const error = errorCode(message);
  return error === undefined ? "error response without ERROR-CODE" : `${error.code} ${error.reason}`.trim();
}

export async function probeTurnServer(
  target: ProbeTarget,
  credential: TurnRestCredential,
  timeoutMs = 5_000,
): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + timeoutMs;
  const socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, () => resolve());
    });
    const transport = Buffer.from([TRANSPORT_UDP, 0, 0, 0]);
    const challengeId = newTransactionId();
    const challenge = await transact(
      socket,
      target,
      encodeStunMessage({
        method: StunMethod.Allocate,
        cls: "request",
        transactionId: challengeId,
        attributes: [{ type: StunAttribute.RequestedTransport, value: transport }],
      }),
      challengeId,
      deadline,
    );
    if (challenge.message.cls === "success") {
      throw new ProbeFailure("error", "server allocated without authentication");
    }
    const realm = findAttribute(challenge.message, StunAttribute.Realm);
    let nonce = findAttribute(challenge.message, StunAttribute.Nonce);
    if (errorCode(challenge.message)?.code !== 401 || realm === undefined || nonce === undefined) {
      throw new ProbeFailure("error", `expected a 401 challenge, got ${describeError(challenge.message)}`);
    }
    const key = longTermKey(credential.username, realm.toString("utf8"), credential.password);
    const authenticated = async (method: number, attributes: StunMessage["attributes"]) => {
      // A 438 Stale Nonce carries a fresh nonce; one retry with it is the standard recovery (RFC 8489 §9.2.5).
      for (let attempt = 0; attempt < 2; attempt++) {
        const id = newTransactionId();
        const auth = [
          { type: StunAttribute.Username, value: Buffer.from(credential.username, "utf8") },
          { type: StunAttribute.Realm, value: realm },
          { type: StunAttribute.Nonce, value: nonce ?? Buffer.alloc(0) },
        ];
        const reply = await transact(
          socket,
          target,
          encodeStunMessage(
            { method, cls: "request", transactionId: id, attributes: [...attributes, ...auth] },
            key,
          ),
          id,
          deadline,
        );
        const code = errorCode(reply.message)?.code;
        if (reply.message.cls === "error" && code === 438) {
          nonce = findAttribute(reply.message, StunAttribute.Nonce) ?? nonce;
          continue;
        }
        return reply;
      }
      throw new ProbeFailure("error", "nonce stayed stale after a retry");
    };

    const allocation = await authenticated(StunMethod.Allocate, [
      { type: StunAttribute.RequestedTransport, value: transport },
    ]);
    if (allocation.message.cls !== "success") {
      const code = errorCode(allocation.message)?.code;
      throw new ProbeFailure(
        code === 401 ? "auth_failed" : "error",
        `Allocate refused: ${describeError(allocation.message)}`,
      );
    }
    if (!hasValidIntegrity(allocation.raw, key)) {
      throw new ProbeFailure("error", "Allocate success response failed MESSAGE-INTEGRITY");
    }
    const relayed = findAttribute(allocation.message, StunAttribute.XorRelayedAddress);
    if (relayed === undefined)
      throw new ProbeFailure("error", "Allocate success without XOR-RELAYED-ADDRESS");
    const relayedAddress = xorAddress(relayed, allocation.message.transactionId);

    const lifetimeZero = Buffer.alloc(4);
    const refresh = await authenticated(StunMethod.Refresh, [
      { type: StunAttribute.Lifetime, value: lifetimeZero },
    ]);
    if (refresh.message.cls !== "success") {
      throw new ProbeFailure("error", `Refresh(0) refused: ${describeError(refresh.message)}`);
    }
    return { outcome: "ok", durationSeconds: elapsed(), relayedAddress };
  } catch (error) {
    if (error instanceof ProbeFailure)
      return { outcome: error.outcome, durationSeconds: elapsed(), detail: error.message };
    return {
      outcome: "error",
      durationSeconds: elapsed(),
      detail: error instanceof Error ? error.message : String(error),
    };
  } finally {
    socket.close();
  }
}
