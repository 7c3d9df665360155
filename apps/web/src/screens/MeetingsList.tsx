import { useEffect, useState } from "react";
import { follow } from "../App.tsx";
import type { Meeting } from "../api/meetings.ts";
import { messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { meetingPath } from "../routes.ts";

export function formatWhen(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const STATE_LABEL: Record<Meeting["state"], string> = {
  scheduled: "Scheduled",
  live: "Live now",
  ended: "Ended",
  cancelled: "Cancelled",
};

export function MeetingsList() {
  const { meetings } = useApp();
  const [list, setList] = useState<Meeting[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    meetings.list("upcoming").then(
      (page) => setList(page.meetings),
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, [meetings]);

  return (
    <main className="page">
      <div className="row spread">
        <h1>Your meetings</h1>
        <a className="button primary" href="/meetings/new" onClick={follow("/meetings/new")}>
          Schedule a meeting
        </a>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!list && !error && <p aria-busy="true">Loading your meetings…</p>}
      {list && list.length === 0 && <p>No upcoming meetings. Schedule one, or open an invitation link.</p>}
      {list && list.length > 0 && (
        <ul className="meetings" aria-label="Upcoming meetings">
          {list.map((meeting) => (
            <li key={meeting.id} className="card">
              <a href={meetingPath(meeting.id)} onClick={follow(meetingPath(meeting.id))}>
                <strong>{meeting.title}</strong>
              </a>
              <span>{formatWhen(meeting.startsAt)}</span>
              <span className={`badge ${meeting.state}`}>{STATE_LABEL[meeting.state]}</span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
