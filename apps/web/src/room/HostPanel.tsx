import { useParticipants } from "@livekit/components-react";
import { type Participant, Track } from "livekit-client";
import { useCallback, useEffect, useState } from "react";
import type { Breakouts, MeetingRole, MeetingsApi, WaitingEntry } from "../api/meetings.ts";
import { messageOf } from "../api/problems.ts";

interface Props {
  meetingId: string;
  api: MeetingsApi;
  moderator: boolean;
  nameOf: (participant: Participant) => string;
  onClose: () => void;
}

function roleOf(participant: Participant): MeetingRole | undefined {
  try {
    return (JSON.parse(participant.metadata ?? "{}") as { role?: MeetingRole }).role;
  } catch {
    return undefined;
  }
}

/** Participants for everyone; for hosts and co-hosts also the waiting room, breakouts and meeting controls. */
export function HostPanel({ meetingId, api, moderator, nameOf, onClose }: Props) {
  const participants = useParticipants();
  const [error, setError] = useState<string | undefined>();
  const [waiting, setWaiting] = useState<WaitingEntry[]>([]);
  const [breakouts, setBreakouts] = useState<Breakouts | undefined>();
  const [broadcast, setBroadcast] = useState("");
  const [breakoutCount, setBreakoutCount] = useState(2);

  const act = useCallback(async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, []);

  // The waiting room has no push channel yet: poll it at the same pace waiting attendees poll their join.
  useEffect(() => {
    if (!moderator) return;
    let stopped = false;
    const load = async () => {
      try {
        const list = await api.waiting(meetingId);
        if (!stopped) setWaiting(list.waiting.filter((entry) => entry.status === "waiting"));
      } catch {
        // a failed poll is retried on the next tick
      }
    };
    void load();
    const timer = setInterval(load, 3000);
    void api.breakouts(meetingId).then(setBreakouts, () => undefined);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, meetingId, moderator]);

  return (
    <aside className="side-panel" aria-label="Participants">
      <div className="row spread">
        <h2>People ({participants.length})</h2>
        <button type="button" onClick={onClose} aria-label="Close participants">
          ✕
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {moderator && waiting.length > 0 && (
        <section aria-label="Waiting room" className="card">
          <div className="row spread">
            <h3>Waiting to join ({waiting.length})</h3>
            <button
              type="button"
              onClick={() =>
                void act(async () => {
                  await api.admitAll(meetingId);
                  setWaiting([]);
                })
              }
            >
              Admit all
            </button>
          </div>
          <ul className="people">
            {waiting.map((entry) => (
              <li key={entry.userId} data-testid="waiting-entry">
                <span>Someone is waiting</span>
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      await api.decide(meetingId, entry.userId, "admit");
                      setWaiting((list) => list.filter((e) => e.userId !== entry.userId));
                    })
                  }
                >
                  Admit
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    void act(async () => {
                      await api.decide(meetingId, entry.userId, "deny");
                      setWaiting((list) => list.filter((e) => e.userId !== entry.userId));
                    })
                  }
                >
                  Deny
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <ul className="people" aria-label="In the meeting">
        {participants.map((participant) => {
          const mic = participant.getTrackPublication(Track.Source.Microphone);
          const role = roleOf(participant);
          const name = nameOf(participant);
          // TrackSource 3 is screen share in LiveKit's protocol.
          const sharing = participant.permissions?.canPublishSources.includes(3) ?? false;
          return (
            <li key={participant.identity} data-testid="participant" data-identity={participant.identity}>
              <span>
                {name}
                {participant.isLocal ? " (you)" : ""} {role && <small>· {role}</small>}
                {mic?.isMuted !== false && <small data-testid="muted"> · microphone off</small>}
              </span>
              {moderator && !participant.isLocal && role !== "host" && (
                <span className="row wrap">
                  {mic && !mic.isMuted && (
                    <button
                      type="button"
                      aria-label={`Mute ${name}`}
                      onClick={() =>
                        void act(() => api.muteTrack(meetingId, participant.identity, mic.trackSid))
                      }
                    >
                      Mute
                    </button>
                  )}
                  <button
                    type="button"
                    aria-label={`${sharing ? "Stop" : "Allow"} screen sharing for ${name}`}
                    onClick={() =>
                      void act(() =>
                        api.setPermissions(meetingId, participant.identity, { canScreenShare: !sharing }),
                      )
                    }
                  >
                    {sharing ? "Stop screen share" : "Allow screen share"}
                  </button>
                  <label>
                    <span className="visually-hidden">Role of {name}</span>
                    <select
                      value={role ?? "attendee"}
                      onChange={(event) =>
                        void act(() =>
                          api.setRole(
                            meetingId,
                            participant.identity,
                            event.target.value as Exclude<MeetingRole, "host">,
                          ),
                        )
                      }
                    >
                      <option value="co-host">co-host</option>
                      <option value="presenter">presenter</option>
                      <option value="attendee">attendee</option>
                    </select>
                  </label>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Remove ${name}`}
                    onClick={() =>
                      void act(async () => {
                        if (confirm(`Remove ${name} from the meeting? They cannot rejoin.`))
                          await api.remove(meetingId, participant.identity);
                      })
                    }
                  >
                    Remove
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {moderator && (
        <section aria-label="Breakout rooms" className="card stack">
          <h3>Breakout rooms</h3>
          {breakouts?.open ? (
            <>
              <p>{breakouts.rooms.length} rooms are open.</p>
              <label>
                Message to every room
                <input value={broadcast} onChange={(e) => setBroadcast(e.target.value)} maxLength={500} />
              </label>
              <div className="row wrap">
                <button
                  type="button"
                  disabled={broadcast.trim() === ""}
                  onClick={() =>
                    void act(async () => {
                      await api.broadcast(meetingId, broadcast.trim());
                      setBroadcast("");
                    })
                  }
                >
                  Broadcast
                </button>
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      await api.breakoutAction(meetingId, "close");
                      setBreakouts(await api.breakouts(meetingId));
                    })
                  }
                >
                  Close breakout rooms
                </button>
              </div>
            </>
          ) : (
            <div className="row wrap">
              <label>
                Rooms
                <input
                  type="number"
                  min={1}
                  max={50}
                  value={breakoutCount}
                  onChange={(e) => setBreakoutCount(Number(e.target.value))}
                />
              </label>
              <button
                type="button"
                onClick={() =>
                  void act(async () => {
                    await api.createBreakouts(meetingId, breakoutCount);
                    await api.assignBalanced(meetingId);
                    await api.breakoutAction(meetingId, "open");
                    setBreakouts(await api.breakouts(meetingId));
                  })
                }
              >
                Open breakout rooms
              </button>
            </div>
          )}
          {breakouts?.open && (
            <ul className="people">
              {breakouts.rooms.map((room) => (
                <li key={room.number}>
                  {room.name}: {room.members.length} assigned
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </aside>
  );
}
