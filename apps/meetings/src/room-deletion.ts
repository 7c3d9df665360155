import type { RoomServiceClient } from "livekit-server-sdk";
import { liveKitProblem } from "./routes/context.ts";

/**
 * Deletes a LiveKit room; a room that is already gone counts as deleted. LiveKit answers a DeleteRoom for a room
 * it no longer knows with 404, but a room closing at that very moment (emptied, or deleted by another request)
 * can answer `twirp error unknown: no response from servers` because the node that hosted it stopped serving it.
 * Any failure is therefore settled by asking whether the room still exists: only a room that is still listed is
 * an error (502), since its participants are still connected to it.
 */
export async function deleteRoomIfPresent(rooms: RoomServiceClient, name: string): Promise<void> {
  try {
    await rooms.deleteRoom(name);
  } catch (error) {
    if ((error as { status?: number }).status === 404) return;
    const still = await rooms.listRooms([name]).catch(() => undefined);
    if (still && still.length === 0) return;
    throw liveKitProblem(error, "room");
  }
}
