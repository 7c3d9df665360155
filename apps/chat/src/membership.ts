/** Meeting roles as the meetings service names them (issue 7); hosts and co-hosts moderate chat. */
export const MEETING_ROLES = ["host", "co-host", "presenter", "attendee"] as const;
export type MeetingRole = (typeof MEETING_ROLES)[number];

export function canModerate(role: MeetingRole): boolean {
  return role === "host" || role === "co-host";
}

export type Membership = { member: true; role: MeetingRole } | { member: false };

export class MembershipUnavailable extends Error {}

/**
 * Asks the meetings service, which owns meetings and their participants, whether a user belongs to a meeting:
 * `GET {MEETINGS_URL}/internal/meetings/{meetingId}/members/{userId}` → 200 `{"role": "host"}` or 404
 * (contract in docs/services/chat.md). The path is in-cluster only: the gateway routes `/v1/…` alone.
 * Answers are cached for a few seconds so a reconnect storm does not become a storm on meetings; a removed
 * participant can therefore open a socket for at most that long after removal.
 */
export class MembershipClient {
  private readonly cache = new Map<string, { answer: Membership; until: number }>();

  constructor(
    private readonly baseUrl: string,
    private readonly cacheMs: number,
    private readonly timeoutMs = 2000,
    private readonly maxEntries = 50_000,
  ) {}

  async lookup(meetingId: string, userId: string): Promise<Membership> {
    const key = `${meetingId}/${userId}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.answer;
    const url = new URL(
      `internal/meetings/${encodeURIComponent(meetingId)}/members/${encodeURIComponent(userId)}`,
      this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`,
    );
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new MembershipUnavailable(`meetings did not answer: ${(error as Error).name}`);
    }
    let answer: Membership;
    if (response.status === 404) {
      await response.body?.cancel();
      answer = { member: false };
    } else if (response.status === 200) {
      const body = (await response.json().catch(() => undefined)) as { role?: unknown } | undefined;
      const role = MEETING_ROLES.find((r) => r === body?.role);
      if (!role) throw new MembershipUnavailable("meetings answered an unknown role");
      answer = { member: true, role };
    } else {
      await response.body?.cancel();
      throw new MembershipUnavailable(`meetings answered ${response.status}`);
    }
    if (this.cacheMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(key, { answer, until: Date.now() + this.cacheMs });
    }
    return answer;
  }
}
