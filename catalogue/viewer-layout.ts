import { LAYOUT_TILES } from "./room-model.ts";

/**
 * The meeting shape people get by default, in one place: the capacity planner prices transfer with it and the
 * stack hands it to meetings (`MEETINGS_VIDEO_TILES`), which passes it to every client in
 * `clientSettings.maxVisibleVideoTiles` — so the monthly cost in the plan is the cost of the default experience.
 *
 * A 3×3 grid: nine 180p tiles plus the active speaker at a high layer. At 25 tiles transfer is ~$227k of a
 * ~$243k production month; nine tiles cut each viewer's video from 5.5 to 2.5 Mbps (docs/capacity.md
 * "Default layout").
 */
export const DEFAULT_VIEWER_LAYOUT = "3x3";
export const DEFAULT_TILES_PER_VIEWER = LAYOUT_TILES[DEFAULT_VIEWER_LAYOUT] ?? 9;

/**
 * The most video tracks one participant may receive: LiveKit's `subscription_limit_video`
 * (components/media/livekit-settings.ts), which the server enforces whatever a client asks for. Media nodes and
 * TURN droplets are sized for it, so a client showing a larger grid cannot overload a node.
 */
export const PEAK_TILES_PER_VIEWER = 25;
