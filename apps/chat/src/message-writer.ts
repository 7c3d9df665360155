import type { Logger } from "../../shared/src/index.ts";
import { type GroupCommitOptions, GroupCommitter } from "./group-commit.ts";
import type { MeetingBus } from "./meeting-bus.ts";
import { appendMessageBatch, type MessageOutcome, type PendingMessage } from "./message-batch.ts";
import { eventFrame } from "./protocol.ts";
import type { ChatShards } from "./shards.ts";

/**
 * The durable path of chat messages: one group committer per shard database. A batch is committed in one
 * transaction, then its new events are serialized once each and published in one pipeline per Valkey shard,
 * and only then does each sender get its answer (and its ack). A failed publish does not fail the messages:
 * they are durable, and the meeting sync (rooms.ts) delivers what pub/sub missed.
 */
export class MessageWriter {
  private readonly committers: GroupCommitter<PendingMessage, MessageOutcome>[];

  constructor(
    private readonly shards: ChatShards,
    bus: MeetingBus,
    logger: Logger,
    options: GroupCommitOptions,
  ) {
    this.committers = shards.all().map(
      (sql) =>
        new GroupCommitter<PendingMessage, MessageOutcome>(async (batch) => {
          const outcomes = await appendMessageBatch(sql, batch);
          const fresh = outcomes.flatMap((o) =>
            o.status === "stored"
              ? [{ meetingId: o.event.meetingId, seq: o.event.seq, frame: eventFrame(o.event) }]
              : [],
          );
          if (fresh.length > 0) {
            await bus.publishEvents(fresh).catch((error) =>
              logger.warn("events not published", {
                events: fresh.length,
                firstSeq: fresh[0]?.seq,
                error: String(error),
              }),
            );
          }
          return outcomes;
        }, options),
    );
  }

  /** Stores one message with others of its shard; settles once its batch committed (or failed). */
  store(message: PendingMessage): Promise<MessageOutcome> {
    return this.committers[this.shards.indexOf(message.meetingId)]!.submit(message);
  }

  /** Messages waiting for a batch and batches committing, over every shard. */
  backlog(): { waiting: number; inFlight: number } {
    return this.committers.reduce(
      (sum, c) => ({ waiting: sum.waiting + c.backlog.waiting, inFlight: sum.inFlight + c.backlog.inFlight }),
      { waiting: 0, inFlight: 0 },
    );
  }
}
