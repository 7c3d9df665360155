import type { Redis } from "ioredis";
import {
  type Logger,
  type MeetingEvent,
  type MeetingEventFeed,
  publishMeetingEvent,
} from "../../shared/src/index.ts";

/**
 * What meetings tells the other replicas and chat after a change commits: a participant removed for good
 * (chat closes their sockets in the meeting), a waiting-room decision (the replica holding the waiting client's
 * decision stream pushes it). This process's listeners hear it at once; the stream carries it everywhere else.
 */
export class MeetingAnnouncer {
  constructor(
    private readonly redis: Redis,
    private readonly feed: MeetingEventFeed,
    private readonly logger: Logger,
  ) {}

  /**
   * Never fails the request that made the change: a lost removal still leaves chat's membership check refusing
   * new sockets once its cache expires, and a lost decision still reaches a client polling the join.
   */
  async announce(event: MeetingEvent): Promise<void> {
    this.feed.emit(event);
    for (let attempt = 1; ; attempt++) {
      try {
        await publishMeetingEvent(this.redis, event);
        return;
      } catch (error) {
        if (attempt < 3) {
          await new Promise((resume) => setTimeout(resume, attempt * 50));
          continue;
        }
        this.logger.error("meeting event not published", {
          kind: event.kind,
          meetingId: event.meetingId,
          error: { name: (error as Error).name, message: (error as Error).message },
        });
        return;
      }
    }
  }
}
