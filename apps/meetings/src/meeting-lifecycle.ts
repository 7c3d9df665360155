import { ApiError } from "../../shared/src/index.ts";

export const MEETING_STATES = ["scheduled", "live", "ended", "cancelled"] as const;
export type MeetingState = (typeof MEETING_STATES)[number];

export type MeetingTransition = "start" | "end" | "cancel";

/** The only legal moves: scheduled → live → ended, and scheduled → cancelled. */
const LEGAL: Record<MeetingTransition, { from: MeetingState; to: MeetingState }> = {
  start: { from: "scheduled", to: "live" },
  end: { from: "live", to: "ended" },
  cancel: { from: "scheduled", to: "cancelled" },
};

export function transitionTarget(transition: MeetingTransition): { from: MeetingState; to: MeetingState } {
  return LEGAL[transition];
}

export function canTransition(state: MeetingState, transition: MeetingTransition): boolean {
  return LEGAL[transition].from === state;
}

export function illegalTransition(state: MeetingState, transition: MeetingTransition): ApiError {
  const { from } = LEGAL[transition];
  return new ApiError(
    409,
    "invalid_transition",
    `cannot ${transition} a meeting that is ${state}: only a ${from} meeting can be ${transition === "end" ? "ended" : transition === "start" ? "started" : "cancelled"}`,
  );
}
