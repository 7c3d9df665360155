import { type FormEvent, useState } from "react";
import type { Meeting, MeetingDraft } from "../api/meetings.ts";
import { messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { navigate } from "../router.ts";
import { meetingPath } from "../routes.ts";

/** `datetime-local` wants local time without a zone; the API wants an ISO instant. */
function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function MeetingForm({
  existing,
  onSaved,
}: {
  existing?: Meeting;
  onSaved?: (meeting: Meeting) => void;
}) {
  const { meetings } = useApp();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const start = existing ? new Date(existing.startsAt) : new Date(Math.ceil(Date.now() / 300_000) * 300_000);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const startsAt = new Date(String(form.get("startsAt")));
    if (Number.isNaN(startsAt.getTime())) {
      setError("Start: enter a date and time.");
      return;
    }
    const draft: MeetingDraft = {
      title: String(form.get("title") ?? "").trim(),
      startsAt: startsAt.toISOString(),
      durationMinutes: Number(form.get("durationMinutes")),
      capacity: Number(form.get("capacity")),
      settings: {
        waitingRoom: form.get("waitingRoom") === "on",
        recordingAllowed: form.get("recordingAllowed") === "on",
      },
    };
    setBusy(true);
    setError(undefined);
    try {
      const saved = existing ? await meetings.update(existing.id, draft) : await meetings.create(draft);
      if (onSaved) onSaved(saved);
      else navigate(meetingPath(saved.id));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>{existing ? "Edit meeting" : "Schedule a meeting"}</h1>
      <form onSubmit={submit} className="stack">
        <label>
          Title
          <input name="title" required maxLength={200} defaultValue={existing?.title ?? ""} />
        </label>
        <label>
          Starts
          <input name="startsAt" type="datetime-local" required defaultValue={toLocalInput(start)} />
        </label>
        <label>
          Duration (minutes)
          <input
            name="durationMinutes"
            type="number"
            min={1}
            max={1440}
            required
            defaultValue={existing?.durationMinutes ?? 60}
          />
        </label>
        <label>
          Participants (at most)
          <input
            name="capacity"
            type="number"
            min={2}
            max={500}
            required
            defaultValue={existing?.capacity ?? 25}
          />
        </label>
        <label className="check">
          <input name="waitingRoom" type="checkbox" defaultChecked={existing?.settings.waitingRoom ?? true} />
          Waiting room: a host lets each attendee in
        </label>
        <label className="check">
          <input
            name="recordingAllowed"
            type="checkbox"
            defaultChecked={existing?.settings.recordingAllowed ?? false}
          />
          Allow hosts to record
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : existing ? "Save changes" : "Schedule"}
        </button>
      </form>
    </main>
  );
}
