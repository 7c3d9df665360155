/**
 * One scenario of the campaign: N requests to one operation sent at once, and what a serial order of those same
 * requests could have answered.
 */

export interface Actor {
  label: string;
  /** Bearer access token; none for the unauthenticated operations. */
  token?: string;
}

export interface PlannedRequest {
  actor: Actor;
  method: string;
  path: string;
  json?: unknown;
  /** A body sent as is, with its own headers (signed webhooks). */
  raw?: { body: string; headers: Record<string, string> };
}

export interface Answer {
  request: PlannedRequest;
  status: number;
  /** The problem code of an error answer (RFC 9457 body with `code`). */
  code: string | undefined;
  body: unknown;
}

/**
 * Answers whose status is in `ok` are the ones that took effect ("winners"); their number must lie within
 * `winners`. Every other answer must be one of `losers` (status → the problem codes a serial order explains).
 * `check` adds what the statuses cannot say (e.g. each waiting entry admitted by exactly one call).
 */
export interface Expectation {
  ok: number[];
  winners: [min: number, max: number];
  losers?: Record<number, string[]>;
  check?: (answers: Answer[]) => string | undefined;
  /**
   * A dependency the test machine cannot provide (the answer names it by its problem code); such answers are
   * reported with the reason instead of counted as 5xx. Used once: recording start, since no LiveKit egress
   * worker can be built here.
   */
  unavailable?: { status: number; code: string; because: string };
}

export interface Scenario {
  requests: PlannedRequest[];
  expect: Expectation;
  /** State checks of this scenario after all answers are in: each returned string is a broken invariant. */
  after?: () => Promise<string[]>;
}

export type ScenarioKind = "identical" | "conflicting";

export interface Fixture {
  /** N identical requests by one actor. */
  identical(): Promise<Scenario>;
  /** N requests by different actors (two moderators, two sessions, competing users) that contend. */
  conflicting(): Promise<Scenario>;
}

/** Sends every request at once (each on its own connection) and collects the answers in request order. */
export async function fireAtOnce(baseUrl: string, requests: PlannedRequest[]): Promise<Answer[]> {
  return await Promise.all(
    requests.map(async (request) => {
      const headers: Record<string, string> = { accept: "application/json" };
      if (request.actor.token) headers.authorization = `Bearer ${request.actor.token}`;
      let body: string | undefined;
      if (request.raw) {
        Object.assign(headers, request.raw.headers);
        body = request.raw.body;
      } else if (request.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(request.json);
      }
      const response = await fetch(`${baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? null : JSON.parse(text);
      } catch {
        // not JSON: the text is kept for the report
      }
      const code =
        response.status >= 400 && typeof (parsed as { code?: unknown })?.code === "string"
          ? (parsed as { code: string }).code
          : undefined;
      return { request, status: response.status, code, body: parsed };
    }),
  );
}

/** Every way the answers differ from what a serial order could give; empty when they are fine. */
export function judge(answers: Answer[], expectation: Expectation, documented: Set<number>): string[] {
  const problems: string[] = [];
  const unavailable = (a: Answer) =>
    a.status === expectation.unavailable?.status && a.code === expectation.unavailable.code;
  for (const a of answers) {
    if (unavailable(a)) continue;
    if (a.status >= 500) problems.push(`${a.status} from ${describe(a)}`);
    else if (!documented.has(a.status)) problems.push(`undocumented status ${a.status} from ${describe(a)}`);
  }
  const winners = answers.filter((a) => expectation.ok.includes(a.status));
  const [min, max] = expectation.winners;
  if (winners.length < min || winners.length > max)
    problems.push(
      `${winners.length} answers with ${expectation.ok.join("/")} (expected ${min === max ? min : `${min}…${max}`}): ${summary(answers)}`,
    );
  for (const a of answers) {
    if (expectation.ok.includes(a.status) || a.status >= 500 || unavailable(a)) continue;
    const codes = expectation.losers?.[a.status];
    if (!codes?.includes(a.code ?? "")) problems.push(`answer no serial order explains: ${describe(a)}`);
  }
  const extra = expectation.check?.(answers);
  if (extra) problems.push(extra);
  return problems;
}

export function summary(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.code ? `${a.status} ${a.code}` : String(a.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n}×${key}`).join(", ");
}

function describe(a: Answer): string {
  return `${a.request.actor.label}: ${a.request.method} ${a.request.path} → ${JSON.stringify(a.body).slice(0, 300)}`;
}
