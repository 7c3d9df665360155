import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { ChatSocket, call, expectStatus, type UpgradeRefusal } from "../../e2e/support/client.ts";
import { WEB_ORIGIN } from "../../e2e/support/control-plane.ts";
import { N } from "../fixtures/cast.ts";
import type { Account, World } from "./world.ts";

/**
 * Chat changes state over its WebSocket, not over HTTP (its OpenAPI document has read routes only), so its
 * mutating frames get the same treatment here: N identical frames at once, and N conflicting ones from two
 * moderators, then the meeting's log checked on every shard.
 */
export class ChatCampaign {
  readonly sockets: ChatSocket[] = [];

  constructor(private readonly world: World) {}

  async open(user: Account, meetingId: string): Promise<ChatSocket> {
    const { ticket } = expectStatus<{ ticket: string }>(
      await call(this.world.authUrl, "POST", "/v1/chat-tickets", { token: user.token, json: { meetingId } }),
      201,
    );
    const port = new URL(this.world.plane.chat.baseUrl).port;
    const query = new URLSearchParams({ meetingId, ticket });
    const socket: ChatSocket | UpgradeRefusal = await ChatSocket.open(
      `ws://127.0.0.1:${port}/v1/chat/ws?${query}`,
      WEB_ORIGIN,
    );
    if (!(socket instanceof ChatSocket))
      throw new Error(`chat refused the socket: ${JSON.stringify(socket)}`);
    this.sockets.push(socket);
    await socket.waitFor("synced", (f) => f.type === "synced");
    return socket;
  }

  /** One user on N sockets sends the same message (same client id) at once: stored once, one seq for all. */
  async identicalSends(user: Account, meetingId: string): Promise<string[]> {
    const sockets = await Promise.all(Array.from({ length: N }, () => this.open(user, meetingId)));
    const id = `campaign-${randomUUID()}`;
    for (const socket of sockets) socket.send({ type: "send", id, text: "the same message" });
    const acks = await Promise.all(
      sockets.map((s) =>
        s.waitFor(`ack of ${id}`, (f) => (f.type === "ack" || f.type === "error") && f.id === id),
      ),
    );
    const problems: string[] = [];
    if (!acks.every((a) => a.type === "ack")) problems.push(`a send was refused: ${JSON.stringify(acks)}`);
    if (new Set(acks.map((a) => a.seq)).size !== 1)
      problems.push(`one message got several seqs: ${JSON.stringify(acks)}`);
    if (acks.filter((a) => a.duplicate === false).length !== 1)
      problems.push(`not exactly one first store among ${JSON.stringify(acks)}`);
    return problems;
  }

  /** Host and co-host delete the same message at once, N frames in all: one delete, the rest `not_found`. */
  async conflictingDeletes(host: Account, cohost: Account, meetingId: string): Promise<string[]> {
    const [a, b] = [await this.open(host, meetingId), await this.open(cohost, meetingId)];
    const messageId = `campaign-${randomUUID()}`;
    a.send({ type: "send", id: messageId, text: "to be deleted" });
    const sent = await a.waitFor("ack of the message", (f) => f.type === "ack" && f.id === messageId);
    const ids = Array.from({ length: N }, (_, i) => `delete-${i}-${randomUUID()}`);
    ids.forEach((id, i) => {
      (i % 2 === 0 ? a : b).send({ type: "delete", id, seq: sent.seq });
    });
    const answers = await Promise.all(
      ids.map((id, i) =>
        (i % 2 === 0 ? a : b).waitFor(
          `answer to ${id}`,
          (f) => (f.type === "ack" || f.type === "error") && f.id === id,
        ),
      ),
    );
    const acked = answers.filter((f) => f.type === "ack");
    const problems: string[] = [];
    if (acked.length !== 1)
      problems.push(`${acked.length} deletes of one message acked: ${JSON.stringify(answers)}`);
    const others = answers.filter((f) => f.type !== "ack");
    if (!others.every((f) => f.code === "not_found"))
      problems.push(`a losing delete answered otherwise than not_found: ${JSON.stringify(others)}`);
    return problems;
  }

  /** Per meeting: seqs 1..last with no hole and none past chat_meetings.last_seq; one row per client id. */
  async brokenInvariants(): Promise<string[]> {
    const broken: string[] = [];
    for (const url of this.world.plane.databaseUrls.chatShards) {
      const sql = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        for (const row of await sql`
          select e.meeting_id, count(*)::int as events, max(e.seq) as highest, m.last_seq
          from chat_events e join chat_meetings m using (meeting_id)
          group by e.meeting_id, m.last_seq
          having count(*) <> max(e.seq) or max(e.seq) <> m.last_seq`)
          broken.push(`chat log with holes or past its last seq: ${JSON.stringify(row)}`);
        for (const row of await sql`
          select target_seq, meeting_id, count(*)::int as tombstones from chat_events
          where kind = 'delete' group by meeting_id, target_seq having count(*) > 1`)
          broken.push(`message deleted more than once: ${JSON.stringify(row)}`);
      } finally {
        await sql.end();
      }
    }
    return broken;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) await socket.close();
  }
}
