import { type AuthSession, callApi } from "./session.ts";

export type DeliveryState = "sending" | "sent" | "failed";

export interface ChatMessage {
  /** The client id of the message (ours) or the server's id for it. */
  id: string;
  seq: number | undefined;
  from: { userId: string; name: string };
  text: string | null;
  at: string;
  mine: boolean;
  delivery: DeliveryState;
  deleted: boolean;
}

export type ChatStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface ChatView {
  status: ChatStatus;
  messages: ChatMessage[];
  error: string | undefined;
}

type Frame = Record<string, unknown> & { type: string };

/**
 * One meeting's chat over the chat service's WebSocket (docs/services/chat.md): a fresh single-use ticket from
 * auth for every connection, history replayed on open, resume from the last `seq` seen after a reconnect, and
 * own messages kept until the server acks them (resent with the same id after a reconnect, so a message is
 * stored once).
 */
export class ChatConnection {
  private socket: WebSocket | undefined;
  private messages: ChatMessage[] = [];
  private lastSeq = 0;
  private status: ChatStatus = "connecting";
  private error: string | undefined;
  private closedForGood = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private counter = 0;
  private listeners = new Set<(view: ChatView) => void>();
  me: { userId: string; name: string } | undefined;

  constructor(
    private readonly session: AuthSession,
    private readonly authUrl: string,
    private readonly chatUrl: string,
    private readonly meetingId: string,
  ) {}

  subscribe(listener: (view: ChatView) => void): () => void {
    this.listeners.add(listener);
    listener(this.view());
    return () => this.listeners.delete(listener);
  }

  private view(): ChatView {
    return { status: this.status, messages: this.messages, error: this.error };
  }

  private emit(): void {
    this.messages = [...this.messages];
    const view = this.view();
    for (const listener of this.listeners) listener(view);
  }

  async open(): Promise<void> {
    if (this.closedForGood) return;
    try {
      const { ticket } = await callApi<{ ticket: string }>(
        this.session,
        this.authUrl,
        "POST",
        "/v1/chat-tickets",
        {
          meetingId: this.meetingId,
        },
      );
      if (this.closedForGood) return;
      // lastSeq=0 on the first connection replays the history over the socket, later ones resume.
      const query = new URLSearchParams({ meetingId: this.meetingId, ticket, lastSeq: String(this.lastSeq) });
      const socket = new WebSocket(`${this.chatUrl.replace(/^http/, "ws")}/v1/chat/ws?${query}`);
      this.socket = socket;
      socket.onmessage = (event) => this.receive(String(event.data));
      socket.onclose = () => {
        if (this.socket === socket) this.scheduleReconnect();
      };
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    this.socket = undefined;
    if (this.closedForGood) return;
    this.status = "reconnecting";
    for (const message of this.messages) if (message.delivery === "sending") message.delivery = "failed";
    this.emit();
    const delay = Math.min(10_000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private receive(data: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    switch (frame.type) {
      case "welcome":
        this.me = frame.you as { userId: string; name: string };
        break;
      case "synced":
        this.status = "live";
        this.attempt = 0;
        this.error = undefined;
        this.resendUnacked();
        break;
      case "event":
        this.applyEvent(frame);
        break;
      case "ack":
        this.applyAck(frame);
        break;
      case "error":
        this.applyError(frame);
        break;
      case "reload":
        void this.reloadHistory(Number(frame.seq));
        break;
      default:
        return;
    }
    this.emit();
  }

  private applyEvent(frame: Frame): void {
    const seq = Number(frame.seq);
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    if (frame.kind === "message") {
      const from = frame.from as { userId: string; name: string };
      const id = String(frame.id);
      const mine = from.userId === this.me?.userId;
      // Our own message may be acked before or after its event arrives: either way it is one message.
      const pending = mine ? this.messages.find((m) => m.mine && m.id === id) : undefined;
      if (pending) {
        pending.seq = seq;
        pending.delivery = "sent";
        this.messages.sort(bySeq);
        return;
      }
      this.messages.push({
        id,
        seq,
        from,
        text: (frame.text as string | null) ?? null,
        at: String(frame.at),
        mine,
        delivery: "sent",
        deleted: frame.deleted === true,
      });
      this.messages.sort(bySeq);
    } else if (frame.kind === "delete") {
      const target = this.messages.find((m) => m.seq === Number(frame.targetSeq));
      if (target) {
        target.deleted = true;
        target.text = null;
      }
    }
  }

  private applyAck(frame: Frame): void {
    const message = this.messages.find((m) => m.mine && m.id === frame.id);
    if (!message) return;
    message.seq = Number(frame.seq);
    message.delivery = "sent";
    this.messages.sort(bySeq);
  }

  private applyError(frame: Frame): void {
    const message =
      typeof frame.id === "string" ? this.messages.find((m) => m.mine && m.id === frame.id) : undefined;
    if (message) message.delivery = "failed";
    const reasons: Record<string, string> = {
      rate_limited: "You are sending messages too fast. Wait a moment.",
      muted: "A host muted you in the chat.",
      too_large: "That message is too long.",
      empty_message: "Type a message first.",
    };
    this.error = reasons[String(frame.code)] ?? String(frame.message ?? frame.code);
  }

  /** Further behind than the server's resume window: page the HTTP history back to what we hold. */
  private async reloadHistory(upTo: number): Promise<void> {
    const items = await callApi<{
      items: {
        seq: number;
        id: string;
        from: ChatMessage["from"];
        text: string | null;
        at: string;
        deleted?: boolean;
      }[];
    }>(this.session, this.chatUrl, "GET", `/v1/chat/meetings/${this.meetingId}/messages?limit=200`);
    for (const item of items.items) {
      if (this.messages.some((m) => m.seq === item.seq)) continue;
      this.messages.push({
        ...item,
        mine: item.from.userId === this.me?.userId,
        delivery: "sent",
        deleted: item.deleted === true,
      });
    }
    this.messages.sort(bySeq);
    this.lastSeq = Math.max(this.lastSeq, upTo);
    this.status = "live";
    this.emit();
  }

  private resendUnacked(): void {
    for (const message of this.messages) {
      if (message.mine && message.seq === undefined && message.text !== null) {
        message.delivery = "sending";
        this.write({ v: 1, type: "send", id: message.id, text: message.text });
      }
    }
  }

  private write(frame: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  send(text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.counter += 1;
    const id = `m${Date.now().toString(36)}.${this.counter}.${Math.random().toString(36).slice(2, 8)}`;
    const message: ChatMessage = {
      id,
      seq: undefined,
      from: this.me ?? { userId: "", name: "You" },
      text: trimmed,
      at: new Date().toISOString(),
      mine: true,
      delivery: this.status === "live" ? "sending" : "failed",
      deleted: false,
    };
    this.messages.push(message);
    this.emit();
    if (this.status === "live") this.write({ v: 1, type: "send", id, text: trimmed });
  }

  /** Ends the chat for this page (left, removed, meeting over): no reconnects after this. */
  close(reason?: string): void {
    this.closedForGood = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
    this.status = "closed";
    if (reason) this.error = reason;
    this.emit();
  }
}

function bySeq(a: ChatMessage, b: ChatMessage): number {
  return (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER);
}
