import type { Queryable } from "../../shared/src/index.ts";
import { type MeetingAndMember, QUALIFIED_MEETING_COLUMNS, splitMemberColumns } from "./meetings-store.ts";

/** Ids are uuid columns; anything else can match no row and must not reach the batch's array cast. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Pending {
  meetingId: string;
  userId: string;
  resolve: (found: MeetingAndMember) => void;
  reject: (error: unknown) => void;
}

/**
 * The meeting and the caller's membership, which every member route starts with (`meetingForMember`), looked up
 * for many requests in one query. Lookups asked for while the event loop handles one batch of I/O are sent together in the
 * next check phase (`setImmediate`), as one statement over `unnest` of the ids: a join storm pays one loopback
 * write and one PostgreSQL execution per batch instead of per request (bench/meetings/RESULTS.md, "Join path").
 * Each answer is what the single query would have returned at the moment the batch ran, which is after the
 * request arrived, so a caller never reads older data than before; a failed batch fails only its own lookups.
 */
export class MemberLookups {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly sql: Queryable,
    /** Most lookups in one statement; a larger backlog goes in several, sent at once. */
    private readonly maxBatch = 128,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`member lookups: maxBatch must be an integer ≥ 1, got ${maxBatch}`);
  }

  find(meetingId: string, userId: string): Promise<MeetingAndMember> {
    if (!UUID.test(meetingId) || !UUID.test(userId))
      return Promise.resolve({ meeting: undefined, member: undefined });
    return new Promise((resolve, reject) => {
      this.pending.push({ meetingId, userId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let start = 0; start < all.length; start += this.maxBatch)
      void this.run(all.slice(start, start + this.maxBatch));
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const rows = await this.sql.unsafe<(Record<string, unknown> & { lookup: string })[]>(
        `select q.lookup::text as lookup, ${QUALIFIED_MEETING_COLUMNS}, mm.user_id as "memberUserId",
           mm.role as "memberRole", mm.can_publish_override as "memberCanPublishOverride",
           mm.can_screen_share_override as "memberCanScreenShareOverride",
           mm.removed_at as "memberRemovedAt", mm.created_at as "memberCreatedAt"
         from unnest(string_to_array($1, ',')::uuid[], string_to_array($2, ',')::uuid[])
           with ordinality as q(meeting_id, user_id, lookup)
         join meetings m on m.id = q.meeting_id
         left join meeting_members mm on mm.meeting_id = q.meeting_id and mm.user_id = q.user_id`,
        [batch.map((p) => p.meetingId).join(","), batch.map((p) => p.userId).join(",")],
      );
      const byLookup = new Map(rows.map(({ lookup, ...row }) => [Number(lookup), row]));
      batch.forEach((p, i) => {
        const row = byLookup.get(i + 1);
        p.resolve(row ? splitMemberColumns(row) : { meeting: undefined, member: undefined });
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
