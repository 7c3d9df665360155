import type { LocalUserChoices } from "@livekit/components-core";
import {
  ConnectionQualityIndicator,
  LiveKitRoom,
  RoomAudioRenderer,
  StartAudio,
  TrackToggle,
  useConnectionState,
  useDataChannel,
  useIsRecording,
  useLocalParticipant,
  useLocalParticipantPermissions,
  useRoomContext,
} from "@livekit/components-react";
import {
  ConnectionState,
  type DisconnectReason,
  type Participant,
  Track,
  VideoPresets,
} from "livekit-client";
import { useEffect, useMemo, useRef, useState } from "react";
import type { ChatConnection } from "../api/chat.ts";
import type { JoinGrant, MeetingsApi } from "../api/meetings.ts";
import { messageOf } from "../api/problems.ts";
import { ChatPanel, useChatView } from "./ChatPanel.tsx";
import { HostPanel } from "./HostPanel.tsx";
import { type LayoutKind, RoomLayout } from "./RoomLayout.tsx";

export interface RoomProps {
  meetingId: string;
  grant: JoinGrant;
  choices: LocalUserChoices;
  api: MeetingsApi;
  chat: ChatConnection;
  forceRelay: boolean;
  /** The room ended for this participant; `reason` is LiveKit's. */
  onDisconnected: (reason: DisconnectReason | undefined, room: string) => void;
  /** Breakouts opened or closed: ask meetings for a token to the room this participant belongs in now. */
  onSwitchRoom: () => void;
}

/**
 * One LiveKit connection, configured from the join answer's `clientSettings`: adaptive stream, dynacast and
 * simulcast as the meetings service decided for this meeting's size (LiveKit's client defaults have adaptive
 * stream and dynacast off), and auto-subscribe off for the largest meetings.
 */
export function MeetingRoom(props: RoomProps) {
  const { grant, choices, forceRelay } = props;
  const settings = grant.clientSettings;
  const options = useMemo(
    () => ({
      adaptiveStream: settings.adaptiveStream,
      dynacast: settings.dynacast,
      publishDefaults: {
        simulcast: settings.simulcast,
        videoSimulcastLayers: [VideoPresets.h180, VideoPresets.h360],
        screenShareSimulcastLayers: [],
      },
      videoCaptureDefaults: {
        resolution: VideoPresets.h720.resolution,
        ...(choices.videoDeviceId ? { deviceId: choices.videoDeviceId } : {}),
      },
      audioCaptureDefaults: choices.audioDeviceId ? { deviceId: choices.audioDeviceId } : {},
    }),
    [settings, choices],
  );
  const connectOptions = useMemo(
    () => ({
      autoSubscribe: settings.autoSubscribe,
      ...(forceRelay ? { rtcConfig: { iceTransportPolicy: "relay" as const } } : {}),
    }),
    [settings, forceRelay],
  );
  const canPublish = (source: string) => grant.grants.canPublishSources.includes(source);
  return (
    <LiveKitRoom
      serverUrl={grant.url}
      token={grant.token}
      connect
      options={options}
      connectOptions={connectOptions}
      audio={choices.audioEnabled && canPublish("microphone")}
      video={choices.videoEnabled && canPublish("camera")}
      onDisconnected={(reason) => props.onDisconnected(reason, grant.room)}
      data-lk-theme="default"
      className="room"
    >
      <RoomView {...props} />
      <RoomAudioRenderer />
    </LiveKitRoom>
  );
}

function RoomView({ meetingId, grant, api, chat, onSwitchRoom }: RoomProps) {
  const room = useRoomContext();
  const state = useConnectionState();
  const recording = useIsRecording();
  const permissions = useLocalParticipantPermissions();
  const { localParticipant, isScreenShareEnabled } = useLocalParticipant();
  const chatView = useChatView(chat);
  const [layout, setLayout] = useState<LayoutKind>("grid");
  const [panel, setPanel] = useState<"chat" | "people" | undefined>();
  const [announcement, setAnnouncement] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [recordingId, setRecordingId] = useState<string | undefined>();
  const seen = useRef(0);
  const moderator = grant.role === "host" || grant.role === "co-host";

  const sources = permissions?.canPublishSources;
  const allowed = (source: number) =>
    sources === undefined ? true : sources.length === 0 || sources.includes(source);
  // TrackSource enum values of the protocol: 1 camera, 2 microphone, 3 screen share, 4 screen share audio.
  const canShareScreen = (permissions?.canPublish ?? true) && allowed(3);
  const canShareScreenAudio = canShareScreen && allowed(4);

  // A live permission change (a host revoked screen sharing) stops the share here too, not only at the SFU.
  useEffect(() => {
    if (!canShareScreen && isScreenShareEnabled) void localParticipant.setScreenShareEnabled(false);
  }, [canShareScreen, isScreenShareEnabled, localParticipant]);

  useDataChannel("gomeet.breakouts", (message) => {
    let body: { type?: string; message?: string };
    try {
      body = JSON.parse(new TextDecoder().decode(message.payload)) as typeof body;
    } catch {
      return;
    }
    if (body.type === "breakouts_opened" || body.type === "breakouts_closed") {
      setAnnouncement(
        body.type === "breakouts_opened"
          ? "Moving you to your breakout room…"
          : "Returning to the main room…",
      );
      onSwitchRoom();
    } else if (body.type === "broadcast" && body.message) {
      setAnnouncement(`Message from the host: ${body.message}`);
    }
  });

  const unread = panel === "chat" ? 0 : chatView.messages.filter((m) => !m.mine).length - seen.current;
  useEffect(() => {
    if (panel === "chat") seen.current = chatView.messages.filter((m) => !m.mine).length;
  }, [panel, chatView.messages]);

  const names = useMemo(() => new Map<string, string>(), []);
  for (const message of chatView.messages) names.set(message.from.userId, message.from.name);
  const nameOf = (participant: Participant) =>
    participant.name || names.get(participant.identity) || (participant.isLocal ? "You" : "Participant");

  async function act(action: () => Promise<unknown>) {
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <div className="room-shell">
      <section className="room-top" aria-label="Meeting status">
        <span>{grant.breakoutRoom === null ? "Main room" : `Breakout room ${grant.breakoutRoom}`}</span>
        {recording && (
          <span className="recording" role="status" data-testid="recording-indicator">
            ● Recording
          </span>
        )}
        <ConnectionQualityIndicator
          participant={room.localParticipant}
          aria-label="Your connection quality"
        />
        {state === ConnectionState.Reconnecting && (
          <span role="status" className="warning">
            Reconnecting…
          </span>
        )}
      </section>
      {announcement && (
        <div className="notice" role="status" data-testid="announcement">
          {announcement}{" "}
          <button type="button" className="link" onClick={() => setAnnouncement(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      {error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      <div className="room-body">
        <RoomLayout layout={layout} settings={grant.clientSettings} />
        {panel === "chat" && <ChatPanel chat={chat} view={chatView} onClose={() => setPanel(undefined)} />}
        {panel === "people" && (
          <HostPanel
            meetingId={meetingId}
            api={api}
            moderator={moderator}
            nameOf={nameOf}
            onClose={() => setPanel(undefined)}
          />
        )}
      </div>
      <nav className="controls" aria-label="Meeting controls">
        {allowed(2) && <TrackToggle source={Track.Source.Microphone}>Microphone</TrackToggle>}
        {allowed(1) && <TrackToggle source={Track.Source.Camera}>Camera</TrackToggle>}
        {canShareScreen && (
          <TrackToggle
            source={Track.Source.ScreenShare}
            captureOptions={{ audio: canShareScreenAudio, selfBrowserSurface: "include" }}
          >
            Share screen
          </TrackToggle>
        )}
        <button
          type="button"
          className="lk-button"
          aria-pressed={layout === "speaker"}
          onClick={() => setLayout(layout === "grid" ? "speaker" : "grid")}
        >
          {layout === "grid" ? "Speaker view" : "Grid view"}
        </button>
        <button
          type="button"
          className="lk-button"
          aria-pressed={panel === "chat"}
          onClick={() => setPanel(panel === "chat" ? undefined : "chat")}
        >
          Chat
          {unread > 0 && (
            <span className="unread" data-testid="unread">
              {unread}
              <span className="visually-hidden"> unread</span>
            </span>
          )}
        </button>
        <button
          type="button"
          className="lk-button"
          aria-pressed={panel === "people"}
          onClick={() => setPanel(panel === "people" ? undefined : "people")}
        >
          People
        </button>
        {moderator && !recordingId && (
          <button
            type="button"
            className="lk-button"
            onClick={() => void act(async () => setRecordingId((await api.startRecording(meetingId)).id))}
          >
            Record
          </button>
        )}
        {moderator && recordingId && (
          <button
            type="button"
            className="lk-button"
            onClick={() =>
              void act(async () => {
                await api.stopRecording(meetingId, recordingId);
                setRecordingId(undefined);
              })
            }
          >
            Stop recording
          </button>
        )}
        {moderator && (
          <button
            type="button"
            className="lk-button danger"
            onClick={() =>
              void act(async () => {
                if (confirm("End the meeting for everyone?")) await api.end(meetingId);
              })
            }
          >
            End for all
          </button>
        )}
        <button type="button" className="lk-button leave" onClick={() => void room.disconnect()}>
          Leave
        </button>
      </nav>
      <StartAudio label="Click to hear the meeting" />
    </div>
  );
}
