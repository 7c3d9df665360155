import { createHash, createHmac } from "node:crypto";

/**
 * AWS Signature Version 4 query-string signing ("presigned URL") for S3-compatible stores such as
 * DigitalOcean Spaces, written against the AWS documentation "Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4)"; the test checks AWS's own published example. Path-style URLs
 * (`https://<endpoint>/<bucket>/<key>`) so one endpoint serves every bucket.
 */
export interface PresignRequest {
  method: "GET" | "DELETE" | "PUT" | "HEAD";
  endpoint: string;
  region: string;
  bucket: string;
  key: string;
  accessKey: string;
  secretKey: string;
  expiresSeconds: number;
  now?: Date;
  /** Virtual-hosted style (`<bucket>.<host>`), as AWS's examples use. */
  virtualHosted?: boolean;
}

const sha256Hex = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, `/` kept in paths. */
function uriEncode(value: string, keepSlash: boolean): string {
  return [...Buffer.from(value, "utf8")]
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === "/")) return ch;
      return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

export function presignS3Url(request: PresignRequest): string {
  if (!(request.expiresSeconds >= 1 && request.expiresSeconds <= 604_800))
    throw new Error(`expiresSeconds must be between 1 and 604800 (7 days), got ${request.expiresSeconds}`);
  const endpoint = new URL(request.endpoint);
  const host = request.virtualHosted ? `${request.bucket}.${endpoint.host}` : endpoint.host;
  const path = request.virtualHosted
    ? `/${uriEncode(request.key, true)}`
    : `/${uriEncode(request.bucket, false)}/${uriEncode(request.key, true)}`;
  const now = request.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${request.region}/s3/aws4_request`;
  const query: [string, string][] = [
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${request.accessKey}/${scope}`],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(request.expiresSeconds)],
    ["X-Amz-SignedHeaders", "host"],
  ];
  const canonicalQuery = query
    .map(([k, v]) => `${uriEncode(k, false)}=${uriEncode(v, false)}`)
    .sort()
    .join("&");
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    `host:${host}\n`,
    "host",
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${request.secretKey}`, day), request.region), "s3"),
    "aws4_request",
  );
  const signature = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return `${endpoint.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
