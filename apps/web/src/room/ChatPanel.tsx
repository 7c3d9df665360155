import { type FormEvent, useEffect, useRef, useState } from "react";
import type { ChatConnection, ChatView } from "../api/chat.ts";

const DELIVERY_LABEL = { sending: "Sending…", sent: "Sent", failed: "Not sent" } as const;

export function useChatView(chat: ChatConnection): ChatView {
  const [view, setView] = useState<ChatView>({ status: "connecting", messages: [], error: undefined });
  useEffect(() => chat.subscribe(setView), [chat]);
  return view;
}

export function ChatPanel({
  chat,
  view,
  onClose,
}: {
  chat: ChatConnection;
  view: ChatView;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState("");
  const listRef = useRef<HTMLOListElement>(null);
  const count = view.messages.length;

  useEffect(() => {
    if (count >= 0) listRef.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [count]);

  function submit(event: FormEvent) {
    event.preventDefault();
    chat.send(draft);
    setDraft("");
  }

  return (
    <aside className="side-panel" aria-label="Chat">
      <div className="row spread">
        <h2>Chat</h2>
        <button type="button" onClick={onClose} aria-label="Close chat">
          ✕
        </button>
      </div>
      {view.status === "reconnecting" && <p className="hint">Reconnecting to chat…</p>}
      {view.status === "closed" && (
        <p className="hint" data-testid="chat-closed">
          Chat is closed.
        </p>
      )}
      <ol className="chat-log" ref={listRef} aria-live="polite" data-testid="chat-log">
        {view.messages.map((message) => (
          <li key={message.id + String(message.seq)} className={message.mine ? "mine" : undefined}>
            <span className="from">{message.mine ? "You" : message.from.name}</span>
            <span className="text">{message.deleted ? <em>message deleted</em> : message.text}</span>
            {message.mine && (
              <span className={`delivery ${message.delivery}`} data-delivery={message.delivery}>
                {DELIVERY_LABEL[message.delivery]}
              </span>
            )}
          </li>
        ))}
      </ol>
      {view.error && (
        <p className="error" role="alert">
          {view.error}
        </p>
      )}
      <form onSubmit={submit} className="row">
        <label className="grow">
          <span className="visually-hidden">Message</span>
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            maxLength={4000}
            placeholder="Message everyone"
            disabled={view.status === "closed"}
          />
        </label>
        <button type="submit" disabled={view.status === "closed" || draft.trim() === ""}>
          Send
        </button>
      </form>
    </aside>
  );
}
