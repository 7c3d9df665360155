import { createHmac } from "node:crypto";

/**
 * A coturn REST API credential: username "<expiry unix seconds>:<label>", password
 * base64(HMAC-SHA1(shared secret, username)). coturn treats the timestamp as an expiry, and LiveKit ≥ v1.9.10
 * mints exactly this for `turn_servers[].secret` (coturn README.turnserver `--use-auth-secret`, https://github.com/coturn/coturn/blob/master/README.turnserver).
 */
export interface TurnRestCredential {
  username: string;
  password: string;
}

export function mintTurnRestCredential(
  secret: string,
  label: string,
  ttlSeconds: number,
  nowMs = Date.now(),
): TurnRestCredential {
  if (secret.length === 0) throw new Error("TURN shared secret: expected a non-empty string");
  if (label.includes(":"))
    throw new Error(`credential label: expected no ":" (the REST separator), got ${JSON.stringify(label)}`);
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${label}`;
  return { username, password: createHmac("sha1", secret).update(username).digest("base64") };
}
