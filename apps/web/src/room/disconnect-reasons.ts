import { DisconnectReason } from "livekit-client";

/** What happened, in words a person understands, and whether joining again can work. */
export interface Departure {
  message: string;
  canRejoin: boolean;
}

export function departureFor(
  reason: DisconnectReason | undefined,
  inBreakout: boolean,
): Departure | "rejoin-main" {
  switch (reason) {
    case DisconnectReason.CLIENT_INITIATED:
      return { message: "You left the meeting.", canRejoin: true };
    case DisconnectReason.PARTICIPANT_REMOVED:
      return { message: "A host removed you from this meeting. You cannot rejoin it.", canRejoin: false };
    case DisconnectReason.ROOM_DELETED:
      // Closing breakouts deletes their rooms; the people in them go back to the main room.
      if (inBreakout) return "rejoin-main";
      return { message: "The meeting has ended for everyone.", canRejoin: false };
    case DisconnectReason.DUPLICATE_IDENTITY:
      return { message: "You joined this meeting from another window or device.", canRejoin: true };
    case DisconnectReason.SERVER_SHUTDOWN:
      return { message: "The meeting server restarted. Join again to continue.", canRejoin: true };
    default:
      return {
        message: "The connection to the meeting was lost. Check your network and join again.",
        canRejoin: true,
      };
  }
}
