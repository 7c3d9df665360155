/** Meeting roles, named as in docs/services/meetings.md; hosts and co-hosts moderate chat. */
export const MEETING_ROLES = ["host", "co-host", "presenter", "attendee"] as const;
export type MeetingRole = (typeof MEETING_ROLES)[number];

export function canModerate(role: MeetingRole): boolean {
  return role === "host" || role === "co-host";
}

export type Membership = { member: true; role: MeetingRole } | { member: false };

export class MembershipUnavailable extends Error {}

/** How long an announced removal is remembered: far longer than any lookup or handshake takes. */
const REMOVAL_MEMORY_MS = 60_000;

/**
 * Asks the meetings service, which owns meetings and their participants, whether a user belongs to a meeting:
 * `GET {MEETINGS_URL}/internal/meetings/{meetingId}/members/{userId}` → 200 `{"role": "host"}` or 404
 * (contract in docs/services/chat.md). The path is in-cluster only: the gateway routes `/v1/…` alone.
 * Answers are cached for a few seconds so a reconnect storm does not become a storm on meetings; a removal
 * announced on the meeting-event stream drops the cached answer at once (markRemoved).
 */
export class MembershipClient {
  private readonly cache = new Map<string, { answer: Membership; until: number }>();
  /** Removals meetings announced, by key: a lookup already in flight then must not cache "member". */
  private readonly removals = new Map<string, number>();

  constructor(
    private readonly baseUrl: string,
    private readonly cacheMs: number,
    private readonly timeoutMs = 2000,
    private readonly maxEntries = 50_000,
  ) {}

  /**
   * meetings announced that the user was removed: forget what was cached, and answer "not a member" from now
   * on — also to a lookup that was already on its way when the announcement came.
   */
  markRemoved(meetingId: string, userId: string): void {
    const key = `${meetingId}/${userId}`;
    const now = Date.now();
    if (this.removals.size >= this.maxEntries) this.removals.clear();
    this.removals.set(key, now);
    this.cache.set(key, {
      answer: { member: false },
      until: now + Math.max(this.cacheMs, REMOVAL_MEMORY_MS),
    });
  }

  /** True when a removal of this user from this meeting was announced in the last minute. */
  wasRemoved(meetingId: string, userId: string): boolean {
    const at = this.removals.get(`${meetingId}/${userId}`);
    return at !== undefined && Date.now() - at < REMOVAL_MEMORY_MS;
  }

  async lookup(meetingId: string, userId: string): Promise<Membership> {
    const key = `${meetingId}/${userId}`;
    const started = Date.now();
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
    const removedAt = this.removals.get(key);
    if (removedAt !== undefined && removedAt >= started) return { member: false };
    if (this.cacheMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(key, { answer, until: Date.now() + this.cacheMs });
    }
    return answer;
  }
}
