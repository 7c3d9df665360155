import type { LocalUserChoices } from "@livekit/components-core";
import { PreJoin } from "@livekit/components-react";
import type { DisconnectReason } from "livekit-client";
import { useCallback, useEffect, useRef, useState } from "react";
import { follow } from "../App.tsx";
import { ChatConnection } from "../api/chat.ts";
import { waitForDecision } from "../api/decision-stream.ts";
import type { JoinGrant } from "../api/meetings.ts";
import { ApiError, messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { departureFor } from "../room/disconnect-reasons.ts";
import { MeetingRoom } from "../room/MeetingRoom.tsx";
import { ROUTE_PATHS } from "../routes.ts";

type Stage =
  | { kind: "prejoin" }
  | { kind: "joining" }
  | { kind: "waiting"; position: number }
  | { kind: "not-started" }
  | { kind: "room"; grant: JoinGrant }
  | { kind: "over"; message: string; canRejoin: boolean };

/** Errors after which asking again cannot help: the person is told why and not retried. */
const FINAL = new Set(["participant_removed", "admission_denied", "meeting_over", "meeting_not_found"]);

/** `/meeting/join?id=<id>`: pre-join (devices, preview, name) → waiting room → the meeting → why it ended. */
export default function JoinFlow({ id }: { id: string }) {
  const { meetings, session, config, user } = useApp();
  const [stage, setStage] = useState<Stage>({ kind: "prejoin" });
  const [choices, setChoices] = useState<LocalUserChoices | undefined>();
  const [title, setTitle] = useState<string>("");
  const chatRef = useRef<ChatConnection | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const active = useRef(true);
  const displayName = useRef<string | undefined>(undefined);
  /** The LiveKit room this page is in now: a disconnect from a room left for a breakout is not a departure. */
  const currentRoom = useRef<string | undefined>(undefined);

  useEffect(() => {
    meetings.get(id).then(
      (meeting) => setTitle(meeting.title),
      () => undefined,
    );
    return () => {
      active.current = false;
      clearTimeout(timer.current);
      decision.current?.abort();
      chatRef.current?.close();
    };
  }, [meetings, id]);

  const end = useCallback((message: string, canRejoin: boolean) => {
    clearTimeout(timer.current);
    chatRef.current?.close(message);
    chatRef.current = undefined;
    setStage({ kind: "over", message, canRejoin });
  }, []);

  /** The pushed decision (when the meetings service offers it) ends the wait at once instead of at the next poll. */
  const decision = useRef<AbortController | undefined>(undefined);
  const listenForDecision = useCallback(() => {
    if (decision.current && !decision.current.signal.aborted) return;
    const controller = new AbortController();
    decision.current = controller;
    void waitForDecision(session, config.meetingsUrl, id, controller.signal).then((outcome) => {
      if (outcome && !controller.signal.aborted && active.current) void requestJoinRef.current?.();
    });
  }, [session, config, id]);
  const requestJoinRef = useRef<(() => Promise<void>) | undefined>(undefined);

  /** Asks for a token; while waiting (202) or before the host arrives (409) asks again at the pace the API says. */
  const requestJoin = useCallback(async () => {
    clearTimeout(timer.current);
    try {
      const answer = await meetings.join(id, displayName.current);
      if (!active.current) return;
      if (answer.status === "waiting") {
        setStage({ kind: "waiting", position: answer.position });
        timer.current = setTimeout(() => void requestJoin(), answer.pollAfterSeconds * 1000);
        listenForDecision();
        return;
      }
      decision.current?.abort();
      if (!chatRef.current) {
        chatRef.current = new ChatConnection(session, config.authUrl, config.chatUrl, id);
        void chatRef.current.open();
      }
      currentRoom.current = answer.room;
      setStage({ kind: "room", grant: answer });
    } catch (failure) {
      if (!active.current) return;
      if (failure instanceof ApiError && failure.code === "meeting_not_started") {
        setStage({ kind: "not-started" });
        timer.current = setTimeout(() => void requestJoin(), 5000);
      } else if (failure instanceof ApiError && failure.code === "meeting_full") {
        end(failure.message, true);
      } else {
        end(messageOf(failure), !(failure instanceof ApiError && FINAL.has(failure.code)));
      }
    }
  }, [meetings, session, config, id, end, listenForDecision]);

  requestJoinRef.current = requestJoin;

  const onSwitchRoom = useCallback(() => void requestJoin(), [requestJoin]);

  const onDisconnected = useCallback(
    (reason: DisconnectReason | undefined, room: string) => {
      if (room !== currentRoom.current || stage.kind !== "room") return;
      const departure = departureFor(reason, stage.grant.breakoutRoom !== null);
      if (departure === "rejoin-main") onSwitchRoom();
      else end(departure.message, departure.canRejoin);
    },
    [stage, end, onSwitchRoom],
  );

  const heading = title ? `Join “${title}”` : "Join the meeting";
  switch (stage.kind) {
    case "prejoin":
      return (
        <main className="page prejoin" data-lk-theme="default">
          <h1>{heading}</h1>
          <p>Check your camera and microphone, then join.</p>
          <PreJoin
            defaults={{ username: user?.displayName ?? "", videoEnabled: true, audioEnabled: true }}
            persistUserChoices={false}
            joinLabel="Join meeting"
            micLabel="Microphone"
            camLabel="Camera"
            userLabel="Your name"
            onSubmit={(values) => {
              setChoices(values);
              displayName.current = values.username;
              setStage({ kind: "joining" });
              void requestJoin();
            }}
          />
        </main>
      );
    case "joining":
      return (
        <main className="page narrow" aria-busy="true">
          <h1>{heading}</h1>
          <p role="status">Joining…</p>
        </main>
      );
    case "waiting":
      return (
        <main className="page narrow">
          <h1>Waiting room</h1>
          <p role="status" data-testid="waiting-room">
            The host will let you in soon. You are number {stage.position} in line.
          </p>
          <p className="hint">Keep this page open. It moves on by itself when you are admitted.</p>
        </main>
      );
    case "not-started":
      return (
        <main className="page narrow">
          <h1>{heading}</h1>
          <p role="status">The meeting has not started yet. You will join as soon as the host opens it.</p>
        </main>
      );
    case "room":
      return (
        <MeetingRoom
          key={stage.grant.room}
          meetingId={id}
          grant={stage.grant}
          choices={choices!}
          api={meetings}
          chat={chatRef.current!}
          forceRelay={config.forceRelay === true}
          onDisconnected={onDisconnected}
          onSwitchRoom={onSwitchRoom}
        />
      );
    case "over":
      return (
        <main className="page narrow">
          <h1>{title || "Meeting"}</h1>
          <p role="alert" data-testid="departure">
            {stage.message}
          </p>
          <div className="row wrap">
            {stage.canRejoin && (
              <button
                type="button"
                className="primary"
                onClick={() => {
                  setStage({ kind: "joining" });
                  void requestJoin();
                }}
              >
                Join again
              </button>
            )}
            <a className="button" href={ROUTE_PATHS.home} onClick={follow(ROUTE_PATHS.home)}>
              Back to your meetings
            </a>
          </div>
        </main>
      );
  }
}
