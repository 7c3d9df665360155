import { type AuthSession, callApi } from "./session.ts";

export type MeetingRole = "host" | "co-host" | "presenter" | "attendee";
export type MeetingState = "scheduled" | "live" | "ended" | "cancelled";

export interface MeetingSettings {
  recordingAllowed: boolean;
  recordingRoles: MeetingRole[];
  screenShareRoles: MeetingRole[];
  waitingRoom: boolean;
}

export interface Meeting {
  id: string;
  ownerId: string;
  title: string;
  startsAt: string;
  durationMinutes: number;
  capacity: number;
  mode: "meeting" | "webinar";
  settings: MeetingSettings;
  state: MeetingState;
  breakoutsOpen: boolean;
  myRole?: MeetingRole;
}

export interface MeetingDraft {
  title: string;
  startsAt: string;
  durationMinutes: number;
  capacity: number;
  settings: Pick<MeetingSettings, "waitingRoom" | "recordingAllowed">;
}

/** What the meetings service tells a client to switch on for this meeting's size (apps/meetings). */
export interface ClientSettings {
  adaptiveStream: boolean;
  dynacast: boolean;
  simulcast: boolean;
  autoSubscribe: boolean;
  maxVisibleVideoTiles: number;
}

export interface JoinGrant {
  status: "joined";
  url: string;
  token: string;
  expiresAt: string;
  room: string;
  breakoutRoom: number | null;
  identity: string;
  role: MeetingRole;
  grants: { canPublish: boolean; canPublishSources: string[]; roomAdmin: boolean };
  clientSettings: ClientSettings;
}

export interface JoinWaiting {
  status: "waiting";
  position: number;
  pollAfterSeconds: number;
}

export interface WaitingEntry {
  userId: string;
  status: "waiting" | "admitted" | "denied";
  requestedAt: string;
}

export interface Breakouts {
  open: boolean;
  rooms: { number: number; name: string; members: string[] }[];
}

export interface Invitation {
  id: string;
  code: string;
  expiresAt: string;
}

/** The meetings API as the app uses it; every call carries the session's access token. */
export class MeetingsApi {
  constructor(
    private readonly session: AuthSession,
    private readonly baseUrl: string,
  ) {}

  private call<T>(method: string, path: string, json?: unknown): Promise<T> {
    return callApi<T>(this.session, this.baseUrl, method, path, json);
  }

  list(state: "upcoming" | "all" = "upcoming"): Promise<{ meetings: Meeting[] }> {
    return this.call("GET", `/v1/meetings?state=${state}&limit=50`);
  }
  get(id: string): Promise<Meeting> {
    return this.call("GET", `/v1/meetings/${id}`);
  }
  create(draft: MeetingDraft): Promise<Meeting> {
    return this.call("POST", "/v1/meetings", draft);
  }
  update(id: string, draft: Partial<MeetingDraft>): Promise<Meeting> {
    return this.call("PATCH", `/v1/meetings/${id}`, draft);
  }
  cancel(id: string): Promise<Meeting> {
    return this.call("POST", `/v1/meetings/${id}/cancel`);
  }
  end(id: string): Promise<Meeting> {
    return this.call("POST", `/v1/meetings/${id}/end`);
  }
  createLink(id: string): Promise<Invitation> {
    return this.call("POST", `/v1/meetings/${id}/invitations`, {
      kind: "link",
      role: "attendee",
      maxUses: 500,
      expiresInSeconds: 7 * 24 * 3600,
    });
  }
  accept(code: string): Promise<Meeting> {
    return this.call("POST", "/v1/invitations/accept", { code });
  }
  /**
   * `name` is how others see the participant in the room. 200 with a token, or 202 while a host has not yet
   * admitted the caller from the waiting room.
   */
  async join(id: string, name?: string): Promise<JoinGrant | JoinWaiting> {
    const body = name?.trim() ? { name: name.trim().slice(0, 100) } : undefined;
    const answer = await this.call<Omit<JoinGrant, "status"> | JoinWaiting>(
      "POST",
      `/v1/meetings/${id}/join`,
      body,
    );
    if ("status" in answer && answer.status === "waiting") return answer;
    return { ...(answer as Omit<JoinGrant, "status">), status: "joined" };
  }
  waiting(id: string): Promise<{ waiting: WaitingEntry[] }> {
    return this.call("GET", `/v1/meetings/${id}/waiting`);
  }
  decide(id: string, userId: string, decision: "admit" | "deny"): Promise<WaitingEntry> {
    return this.call("POST", `/v1/meetings/${id}/waiting/${userId}/${decision}`);
  }
  admitAll(id: string): Promise<{ admitted: WaitingEntry[] }> {
    return this.call("POST", `/v1/meetings/${id}/waiting/admit-all`);
  }
  muteTrack(id: string, userId: string, trackSid: string): Promise<unknown> {
    return this.call("POST", `/v1/meetings/${id}/participants/${userId}/tracks/${trackSid}/mute`, {
      muted: true,
    });
  }
  remove(id: string, userId: string): Promise<unknown> {
    return this.call("POST", `/v1/meetings/${id}/participants/${userId}/remove`);
  }
  setPermissions(id: string, userId: string, body: { canScreenShare?: boolean | null }): Promise<unknown> {
    return this.call("PUT", `/v1/meetings/${id}/participants/${userId}/permissions`, body);
  }
  setRole(id: string, userId: string, role: Exclude<MeetingRole, "host">): Promise<unknown> {
    return this.call("PUT", `/v1/meetings/${id}/members/${userId}/role`, { role });
  }
  breakouts(id: string): Promise<Breakouts> {
    return this.call("GET", `/v1/meetings/${id}/breakouts`);
  }
  createBreakouts(id: string, count: number): Promise<Breakouts> {
    return this.call("POST", `/v1/meetings/${id}/breakouts`, { count });
  }
  assignBalanced(id: string): Promise<Breakouts> {
    return this.call("PUT", `/v1/meetings/${id}/breakouts/assignments`, { mode: "balanced" });
  }
  breakoutAction(id: string, action: "open" | "close"): Promise<unknown> {
    return this.call("POST", `/v1/meetings/${id}/breakouts/${action}`);
  }
  broadcast(id: string, message: string): Promise<unknown> {
    return this.call("POST", `/v1/meetings/${id}/breakouts/broadcast`, { message });
  }
  startRecording(id: string): Promise<{ id: string }> {
    return this.call("POST", `/v1/meetings/${id}/recordings`);
  }
  stopRecording(id: string, recordingId: string): Promise<unknown> {
    return this.call("POST", `/v1/meetings/${id}/recordings/${recordingId}/stop`);
  }
  recordings(id: string): Promise<{ recordings: { id: string; status: string }[] }> {
    return this.call("GET", `/v1/meetings/${id}/recordings`);
  }
}
