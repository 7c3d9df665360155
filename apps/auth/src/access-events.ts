import type { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import { type AccessEvent, type Logger, publishAccessEvent } from "../../shared/src/index.ts";

/**
 * Tells meetings and chat (and every other token verifier) that tokens stopped being good before their expiry:
 * a session ended or an account was disabled. Auth itself checks its database on every request; the others
 * only see the token, so without this they would accept it until it expires (up to the access-token lifetime).
 *
 * Called after the database change commits. If Redis refuses the append after three tries, the change stays
 * (the user asked for it and auth enforces it) and the failure is logged and counted in
 * gomeet_auth_revocation_publish_failures_total: other services then honour the token until it expires.
 */
export class AccessEventPublisher {
  private readonly failures: Counter<"kind">;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.failures = new Counter({
      name: "gomeet_auth_revocation_publish_failures_total",
      help: "Session ends and account disables that could not be published to the other services.",
      labelNames: ["kind"],
      registers: [registry],
    });
  }

  async sessionsEnded(userId: string, sessionIds: readonly string[]): Promise<void> {
    const at = Math.floor(Date.now() / 1000);
    await Promise.all(
      sessionIds.map((sessionId) => this.publish({ kind: "session_ended", sessionId, userId, at })),
    );
  }

  async userDisabled(userId: string): Promise<void> {
    await this.publish({ kind: "user_disabled", userId, at: Math.floor(Date.now() / 1000) });
  }

  private async publish(event: AccessEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await publishAccessEvent(this.redis, event);
        return;
      } catch (error) {
        if (attempt < 3) {
          await new Promise((resume) => setTimeout(resume, attempt * 50));
          continue;
        }
        this.failures.inc({ kind: event.kind });
        this.logger.error("revocation not published: other services accept the tokens until they expire", {
          kind: event.kind,
          userId: event.userId,
          error: { name: (error as Error).name, message: (error as Error).message },
        });
        return;
      }
    }
  }
}
