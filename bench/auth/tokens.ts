/**
 * Token signing and verification cost: `npx tsx bench/auth/tokens.ts [--seconds 2] [--out bench/auth/TOKENS.md]`
 *
 * Signs access tokens with auth's own TokenIssuer and verifies them with the kit's token verifier (the code
 * every service runs on each request), one operation at a time, for EdDSA and ES256. The baseline in the same
 * run is node:crypto signing and verifying the same bytes with the same key: the difference is what the JWT
 * layer (jose, claims, base64url) adds. CPU time is read from process.cpuUsage(), which counts the worker
 * threads WebCrypto runs on, so "per CPU-second" does not grow when other work shares the machine the way the
 * wall-clock rate does. Each measurement is bounded in time and count; nothing leaves the process.
 */
import {
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { JWK } from "jose";
import {
  generateSigningKey,
  loadSigningKeys,
  type SigningAlgorithm,
} from "../../apps/auth/src/signing-keys.ts";
import { TokenIssuer } from "../../apps/auth/src/tokens.ts";
import { createTokenVerifier } from "../../apps/shared/src/index.ts";

const root = join(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    "max-ops": { type: "string", default: "100000" },
    out: { type: "string", default: join(root, "bench/auth/TOKENS.md") },
  },
});
const seconds = Number(values.seconds);
const maxOps = Number(values["max-ops"]);
if (!(seconds > 0 && seconds <= 60))
  throw new Error(`--seconds: expected a number in (0, 60], got ${values.seconds}`);
if (!(Number.isInteger(maxOps) && maxOps > 0)) {
  throw new Error(`--max-ops: expected a positive integer, got ${values["max-ops"]}`);
}

const ISSUER = "https://auth.bench.invalid";
const AUDIENCE = "gomeet-api";

interface Measurement {
  alg: SigningAlgorithm;
  operation: "sign" | "verify";
  implementation: string;
  ops: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** Runs `op` one call at a time until the time or count bound, after a short warm-up. */
async function measure(
  label: Omit<Measurement, "ops" | "wallSeconds" | "cpuSeconds">,
  op: () => unknown,
): Promise<Measurement> {
  for (let i = 0; i < 200; i++) await op();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  while (ops < maxOps && performance.now() < deadline) {
    await op();
    ops++;
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const measurement = { ...label, ops, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  process.stdout.write(
    `${label.alg} ${label.operation} (${label.implementation}): ${ops} in ${wallSeconds.toFixed(2)} s, ` +
      `${Math.round(ops / measurement.cpuSeconds)} per CPU-second\n`,
  );
  return measurement;
}

/** The node:crypto form of the key and the signature format a JWT uses for it. */
function rawKeys(jwk: JWK): {
  privateKey: KeyObject;
  publicKey: KeyObject;
  options: object;
  digest: string | null;
} {
  const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
  const publicKey = createPublicKey(privateKey);
  return jwk.alg === "ES256"
    ? { privateKey, publicKey, options: { dsaEncoding: "ieee-p1363" }, digest: "sha256" }
    : { privateKey, publicKey, options: {}, digest: null };
}

async function measureAlgorithm(alg: SigningAlgorithm): Promise<Measurement[]> {
  const jwk = await generateSigningKey(alg);
  const keys = await loadSigningKeys(JSON.stringify({ keys: [jwk] }), jwk.kid);
  const issuer = new TokenIssuer({
    keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 900,
    chatTicketTtlSeconds: 60,
  });
  const verifier = createTokenVerifier({ jwks: keys.publicJwks, issuer: ISSUER, audience: AUDIENCE });
  const user = { id: "0b7c6f0e-3f7d-4a53-9d0e-8f8e2d6b1a11", roles: ["member"], email: "bench@example.com" };
  const sessionId = "5a2d3c4b-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
  const { token } = await issuer.accessToken(user, sessionId);
  const principal = await verifier.verify(token);
  if (principal.subject !== user.id) throw new Error(`${alg}: the verified token names ${principal.subject}`);

  const [header = "", payload = "", signature = ""] = token.split(".");
  const signingInput = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, "base64url");
  const raw = rawKeys(jwk);
  if (!verify(raw.digest, signingInput, { key: raw.publicKey, ...raw.options }, signatureBytes)) {
    throw new Error(
      `${alg}: node:crypto does not accept the token's signature, so the baseline is not comparable`,
    );
  }

  return [
    await measure({ alg, operation: "sign", implementation: "TokenIssuer.accessToken (jose)" }, () =>
      issuer.accessToken(user, sessionId),
    ),
    await measure({ alg, operation: "sign", implementation: "baseline: node:crypto sign" }, () =>
      sign(raw.digest, signingInput, { key: raw.privateKey, ...raw.options }),
    ),
    await measure({ alg, operation: "verify", implementation: "token verifier (jose)" }, () =>
      verifier.verify(token),
    ),
    await measure({ alg, operation: "verify", implementation: "baseline: node:crypto verify" }, () =>
      verify(raw.digest, signingInput, { key: raw.publicKey, ...raw.options }, signatureBytes),
    ),
  ];
}

function table(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const [head = [], ...body] = rows;
  return [line(head), line(widths.map((width) => "-".repeat(width))), ...body.map(line)];
}

const loadBefore = loadavg()[0] ?? 0;
const results: Measurement[] = [];
for (const alg of ["EdDSA", "ES256"] as const) results.push(...(await measureAlgorithm(alg)));
const loadAfter = loadavg()[0] ?? 0;

const rows = [
  [
    "algorithm",
    "operation",
    "implementation",
    "ops",
    "wall s",
    "ops/s (wall)",
    "CPU µs/op",
    "ops per CPU-second",
  ],
  ...results.map((m) => [
    m.alg,
    m.operation,
    m.implementation,
    String(m.ops),
    m.wallSeconds.toFixed(2),
    String(Math.round(m.ops / m.wallSeconds)),
    ((m.cpuSeconds / m.ops) * 1e6).toFixed(1),
    String(Math.round(m.ops / m.cpuSeconds)),
  ]),
];
const perCpuSecond = (alg: SigningAlgorithm, operation: Measurement["operation"]) => {
  const m = results.find(
    (r) => r.alg === alg && r.operation === operation && !r.implementation.startsWith("baseline"),
  );
  return m ? Math.round(m.ops / m.cpuSeconds) : 0;
};
const command = `npx tsx bench/auth/tokens.ts --seconds ${values.seconds} --max-ops ${values["max-ops"]}`;
const text = [
  "# Token signing and verification cost",
  "",
  "Written by `bench/auth/tokens.ts`; rerun it to replace this file.",
  "",
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString()}`,
  `- Machine: \`nproc\` = ${cpus().length}, ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; \`node --version\` = ${process.version}`,
  `- Load average (1 min) before the run: ${loadBefore.toFixed(2)}, after: ${loadAfter.toFixed(2)} (well above 0 means other work shared the cores; the per-CPU-second column is the one that does not depend on it).`,
  "- What runs: auth's `TokenIssuer.accessToken` (an access token with roles, session id and email, as a login or refresh issues it) and the kit's token verifier (signature, algorithm, `typ`, issuer, audience, expiry), one operation at a time; the baseline is node:crypto signing and verifying the same bytes with the same key.",
  "",
  ...table(rows),
  "",
  "## Reading",
  "",
  `- One core signs about ${perCpuSecond("EdDSA", "sign")} EdDSA access tokens a CPU-second and verifies about ${perCpuSecond("EdDSA", "verify")};`,
  `  with ES256, ${perCpuSecond("ES256", "sign")} and ${perCpuSecond("ES256", "verify")}. \`npm run capacity\` plans a control-plane core at 6.6k signs and`,
  "  4.5k verifies a second (docs/capacity.md, model step 5); compare those with the EdDSA rows, the algorithm auth",
  "  generates keys for by default.",
  "- The gap to the node:crypto rows is the JWT layer: claims, JSON, base64url and WebCrypto's asynchronous job.",
  "",
].join("\n");
writeFileSync(values.out, text);
process.stdout.write(`wrote ${values.out}\n`);
