import type { AuthSession } from "./session.ts";

export type WaitingDecision = "admitted" | "denied";

/**
 * Waits for a moderator's decision on the waiting room's push channel: `GET /v1/meetings/{id}/join/decision`
 * answers Server-Sent Events (docs/services/meetings.md). It is read with fetch rather than EventSource because
 * EventSource cannot send the Authorization header. Resolves with the decision, or undefined when the stream
 * ended or failed without one (the caller's join polling stays the authority either way).
 */
export async function waitForDecision(
  session: AuthSession,
  meetingsUrl: string,
  meetingId: string,
  signal: AbortSignal,
): Promise<WaitingDecision | undefined> {
  try {
    const response = await session.authorizedFetch(`${meetingsUrl}/v1/meetings/${meetingId}/join/decision`, {
      method: "GET",
      headers: { accept: "text/event-stream" },
      signal,
    });
    if (!response.ok || !response.body) return undefined;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      buffer += value;
      for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block
          .split("\n")
          .find((line) => line.startsWith("data:"))
          ?.slice(5)
          .trim();
        if (!data) continue;
        const status = (JSON.parse(data) as { status?: string }).status;
        if (status === "admitted" || status === "denied") {
          void reader.cancel();
          return status;
        }
      }
    }
  } catch {
    return undefined;
  }
}
