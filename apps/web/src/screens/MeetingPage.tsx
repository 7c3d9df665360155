import { useEffect, useState } from "react";
import { follow } from "../App.tsx";
import type { Meeting } from "../api/meetings.ts";
import { messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { invitationPath, joinPath } from "../routes.ts";
import { MeetingForm } from "./MeetingForm.tsx";
import { formatWhen } from "./MeetingsList.tsx";

const MODERATORS = new Set(["host", "co-host"]);

export function MeetingPage({ id }: { id: string }) {
  const { meetings } = useApp();
  const [meeting, setMeeting] = useState<Meeting | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [editing, setEditing] = useState(false);
  const [link, setLink] = useState<string | undefined>();
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    meetings.get(id).then(setMeeting, (failure: unknown) => setError(messageOf(failure)));
  }, [meetings, id]);

  if (error && !meeting) {
    return (
      <main className="page">
        <p role="alert" className="error">
          {error}
        </p>
      </main>
    );
  }
  if (!meeting) return <main className="page" aria-busy="true" />;
  if (editing) {
    return (
      <MeetingForm
        existing={meeting}
        onSaved={(saved) => {
          setMeeting(saved);
          setEditing(false);
        }}
      />
    );
  }

  const moderator = MODERATORS.has(meeting.myRole ?? "");
  const open = meeting.state === "scheduled" || meeting.state === "live";

  async function act(action: () => Promise<void>) {
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function makeLink() {
    const invitation = await meetings.createLink(id);
    setLink(`${location.origin}${invitationPath(invitation.code)}`);
    setCopied(false);
  }

  async function copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // Clipboard refused (no permission, insecure origin): the link stays selected for a manual copy.
      setCopied(false);
    }
  }

  return (
    <main className="page">
      <h1>{meeting.title}</h1>
      <dl className="facts">
        <dt>Starts</dt>
        <dd>{formatWhen(meeting.startsAt)}</dd>
        <dt>Duration</dt>
        <dd>{meeting.durationMinutes} minutes</dd>
        <dt>Participants</dt>
        <dd>up to {meeting.capacity}</dd>
        <dt>Status</dt>
        <dd data-testid="meeting-state">{meeting.state}</dd>
        <dt>Your role</dt>
        <dd>{meeting.myRole}</dd>
      </dl>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="row wrap">
        {open && (
          <a className="button primary" href={joinPath(id)} onClick={follow(joinPath(id))}>
            {meeting.state === "live" ? "Join now" : moderator ? "Start meeting" : "Open"}
          </a>
        )}
        {moderator && open && (
          <button type="button" onClick={() => void act(makeLink)}>
            Create invitation link
          </button>
        )}
        {moderator && meeting.state === "scheduled" && (
          <>
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              className="danger"
              onClick={() =>
                void act(async () => {
                  if (!confirm("Cancel this meeting for everyone?")) return;
                  setMeeting(await meetings.cancel(id));
                })
              }
            >
              Cancel meeting
            </button>
          </>
        )}
      </div>
      {link && (
        <section className="card" aria-label="Invitation link">
          <label>
            Invitation link (anyone with it can ask to join)
            <input
              readOnly
              value={link}
              data-testid="invitation-link"
              onFocus={(e) => e.currentTarget.select()}
            />
          </label>
          <button type="button" onClick={() => void copy(link)}>
            Copy link
          </button>
          <span role="status">{copied ? "Copied" : ""}</span>
        </section>
      )}
    </main>
  );
}
