import { createHash, createHmac, randomBytes } from "node:crypto";

/**
 * STUN message codec (RFC 5389/8489) with the TURN attributes an allocation probe needs (RFC 5766/8656).
 * Long-term credential integrity: key = MD5(username ":" realm ":" password) (RFC 5389 §15.4).
 */

export const MAGIC_COOKIE = 0x2112a442;
const HEADER_LENGTH = 20;
const FINGERPRINT_XOR = 0x5354554e;

export const StunMethod = { Binding: 0x001, Allocate: 0x003, Refresh: 0x004 } as const;
export type StunClass = "request" | "indication" | "success" | "error";

export const StunAttribute = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

/** IANA protocol number carried in REQUESTED-TRANSPORT (RFC 5766 §14.7). */
export const TRANSPORT_UDP = 17;

export interface StunMessage {
  method: number;
  cls: StunClass;
  transactionId: Buffer;
  attributes: { type: number; value: Buffer }[];
}

const classBits: Record<StunClass, number> = {
  request: 0x000,
  indication: 0x010,
  success: 0x100,
  error: 0x110,
};

function messageType(method: number, cls: StunClass): number {
  // The class bits C0/C1 sit at positions 4 and 8, interleaved with the 12 method bits (RFC 5389 §6).
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | classBits[cls];
}

function splitType(type: number): { method: number; cls: StunClass } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const bits = type & 0x0110;
  const cls = (Object.keys(classBits) as StunClass[]).find((c) => classBits[c] === bits) ?? "request";
  return { method, cls };
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

function attributeBlock(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function header(type: number, bodyLength: number, transactionId: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(bodyLength, 2);
  head.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(head, 8);
  return head;
}

export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash("md5").update(`${username}:${realm}:${password}`).digest();
}

/**
 * Encodes a message; with `integrityKey` appends MESSAGE-INTEGRITY, then always FINGERPRINT, each computed
 * over the message with the length field already counting that attribute (RFC 5389 §15.4, §15.5).
 */
export function encodeStunMessage(
  message: Omit<StunMessage, "cls"> & { cls: StunClass },
  integrityKey?: Buffer,
): Buffer {
  const type = messageType(message.method, message.cls);
  let body = Buffer.concat(message.attributes.map((a) => attributeBlock(a.type, a.value)));
  if (integrityKey !== undefined) {
    const withLength = Buffer.concat([header(type, body.length + 24, message.transactionId), body]);
    const hmac = createHmac("sha1", integrityKey).update(withLength).digest();
    body = Buffer.concat([body, attributeBlock(StunAttribute.MessageIntegrity, hmac)]);
  }
  const forCrc = Buffer.concat([header(type, body.length + 8, message.transactionId), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(forCrc) ^ FINGERPRINT_XOR) >>> 0, 0);
  return Buffer.concat([forCrc, attributeBlock(StunAttribute.Fingerprint, crc)]);
}

export class StunDecodeError extends Error {
  override readonly name = "StunDecodeError";
}

export function decodeStunMessage(packet: Buffer): StunMessage {
  if (packet.length < HEADER_LENGTH)
    throw new StunDecodeError(`packet of ${packet.length} bytes is shorter than a STUN header`);
  const type = packet.readUInt16BE(0);
  if ((type & 0xc000) !== 0) throw new StunDecodeError("first two bits are not zero: not a STUN message");
  const length = packet.readUInt16BE(2);
  if (packet.readUInt32BE(4) !== MAGIC_COOKIE) throw new StunDecodeError("magic cookie mismatch");
  if (length % 4 !== 0 || HEADER_LENGTH + length > packet.length) {
    throw new StunDecodeError(`declared body length ${length} does not fit a ${packet.length}-byte packet`);
  }
  const attributes: StunMessage["attributes"] = [];
  let offset = HEADER_LENGTH;
  while (offset + 4 <= HEADER_LENGTH + length) {
    const attrType = packet.readUInt16BE(offset);
    const attrLength = packet.readUInt16BE(offset + 2);
    if (offset + 4 + attrLength > HEADER_LENGTH + length)
      throw new StunDecodeError(`attribute 0x${attrType.toString(16)} overruns the message`);
    attributes.push({ type: attrType, value: packet.subarray(offset + 4, offset + 4 + attrLength) });
    offset += 4 + Math.ceil(attrLength / 4) * 4;
  }
  return { ...splitType(type), transactionId: packet.subarray(8, 20), attributes };
}

export function findAttribute(message: StunMessage, type: number): Buffer | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/** ERROR-CODE: class × 100 + number, followed by a UTF-8 reason (RFC 5389 §15.6). */
export function errorCode(message: StunMessage): { code: number; reason: string } | undefined {
  const value = findAttribute(message, StunAttribute.ErrorCode);
  if (value === undefined || value.length < 4) return undefined;
  return { code: (value[2] ?? 0) * 100 + (value[3] ?? 0), reason: value.subarray(4).toString("utf8") };
}

/** Decodes an XOR-*-ADDRESS (IPv4 or IPv6) (RFC 5389 §15.2). */
export function xorAddress(value: Buffer, transactionId: Buffer): { address: string; port: number } {
  const family = value[1];
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  if (family === 0x01) {
    const raw = value.readUInt32BE(4) ^ MAGIC_COOKIE;
    return { address: [24, 16, 8, 0].map((s) => (raw >>> s) & 0xff).join("."), port };
  }
  const mask = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), transactionId]);
  const bytes = value.subarray(4, 20).map((b, i) => b ^ (mask[i] ?? 0));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) * 256 + (bytes[i + 1] ?? 0)).toString(16));
  return { address: groups.join(":"), port };
}

/** Checks MESSAGE-INTEGRITY of a received message against the long-term key. */
export function hasValidIntegrity(packet: Buffer, key: Buffer): boolean {
  let offset = HEADER_LENGTH;
  const end = HEADER_LENGTH + packet.readUInt16BE(2);
  while (offset + 4 <= end) {
    const type = packet.readUInt16BE(offset);
    const len = packet.readUInt16BE(offset + 2);
    if (type === StunAttribute.MessageIntegrity) {
      const prefix = Buffer.from(packet.subarray(0, offset));
      prefix.writeUInt16BE(offset - HEADER_LENGTH + 24, 2);
      const expected = createHmac("sha1", key).update(prefix).digest();
      return expected.equals(packet.subarray(offset + 4, offset + 4 + len));
    }
    offset += 4 + Math.ceil(len / 4) * 4;
  }
  return false;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / ITU-T V.42) as FINGERPRINT requires. */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
