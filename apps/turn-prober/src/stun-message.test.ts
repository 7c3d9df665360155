import { describe, expect, it } from "vitest";
import { parseTargets } from "./prober-config.ts";
import { mintTurnRestCredential } from "./rest-credential.ts";
import {
  crc32,
  decodeStunMessage,
  encodeStunMessage,
  hasValidIntegrity,
  longTermKey,
  StunAttribute,
  StunMethod,
  xorAddress,
} from "./stun-message.ts";

describe("STUN codec", () => {
  it("computes the CRC-32 check value used by FINGERPRINT", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("round-trips an authenticated Refresh with valid MESSAGE-INTEGRITY and FINGERPRINT", () => {
    const key = longTermKey("1700000000:prober", "turn.example", "pw");
    const transactionId = Buffer.alloc(12, 7);
    const packet = encodeStunMessage(
      {
        method: StunMethod.Refresh,
        cls: "request",
        transactionId,
        attributes: [{ type: StunAttribute.Lifetime, value: Buffer.alloc(4) }],
      },
      key,
    );
    const decoded = decodeStunMessage(packet);
    expect(decoded.method).toBe(StunMethod.Refresh);
    expect(decoded.cls).toBe("request");
    expect(decoded.attributes.map((a) => a.type)).toEqual([
      StunAttribute.Lifetime,
      StunAttribute.MessageIntegrity,
      StunAttribute.Fingerprint,
    ]);
    expect(hasValidIntegrity(packet, key)).toBe(true);
    expect(hasValidIntegrity(packet, longTermKey("1700000000:prober", "turn.example", "other"))).toBe(false);
    // FINGERPRINT covers everything before it, with the length field already counting it (RFC 5389 §15.5).
    const fingerprint = decoded.attributes.at(-1)?.value.readUInt32BE(0);
    expect(fingerprint).toBe((crc32(packet.subarray(0, packet.length - 8)) ^ 0x5354554e) >>> 0);
  });

  it("decodes an XOR-MAPPED IPv4 address (RFC 5769 §2.2 sample: 192.0.2.1:32853)", () => {
    const value = Buffer.from("0001a147e112a643", "hex");
    expect(xorAddress(value, Buffer.alloc(12))).toEqual({ address: "192.0.2.1", port: 32853 });
  });
});

describe("REST credentials and prober config", () => {
  it("mints <expiry>:<label> with base64 HMAC-SHA1 (coturn README.turnserver)", () => {
    const credential = mintTurnRestCredential("secret", "prober", 60, 1_700_000_000_000);
    expect(credential.username).toBe("1700000060:prober");
    expect(credential.password).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it("parses targets and names the bad entry", () => {
    expect(parseTargets("10.0.0.1:3478, turn.example:3478,[::1]:3478")).toEqual([
      { host: "10.0.0.1", port: 3478 },
      { host: "turn.example", port: 3478 },
      { host: "::1", port: 3478 },
    ]);
    expect(() => parseTargets("turn.example")).toThrow(
      'TURN_PROBE_TARGETS: expected host:port, got "turn.example"',
    );
  });
});
