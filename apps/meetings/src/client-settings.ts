/**
 * What a client should switch on for a meeting of this size. The client SDK ships with adaptive stream and
 * dynacast off (https://github.com/livekit/client-sdk-js/blob/main/src/room/defaults.ts); large rooms need
 * both, a bounded number of visible video tiles (the shipped `subscription_limit_video` is 25, and
 * docs/capacity.md sizes media nodes for at most 25 visible tiles), and selective subscription instead of
 * auto-subscribe.
 */
export interface ClientSettings {
  adaptiveStream: boolean;
  dynacast: boolean;
  simulcast: boolean;
  autoSubscribe: boolean;
  /** How many participants' videos the client renders at once; the rest are audio/avatar only. */
  maxVisibleVideoTiles: number;
}

export const VISIBLE_TILE_LIMIT = 25;

/**
 * `videoTiles` is the deployment's default layout (MEETINGS_VIDEO_TILES): no meeting shows more tiles than that,
 * so what clients receive by default is what the capacity plan priced (docs/capacity.md "Default layout").
 */
export function clientSettingsFor(
  capacity: number,
  mode: "meeting" | "webinar",
  videoTiles = VISIBLE_TILE_LIMIT,
): ClientSettings {
  const settings = settingsBySize(capacity, mode);
  return { ...settings, maxVisibleVideoTiles: Math.min(settings.maxVisibleVideoTiles, videoTiles) };
}

function settingsBySize(capacity: number, mode: "meeting" | "webinar"): ClientSettings {
  if (mode === "webinar") {
    // Attendees only watch the stage; a handful of presenters are shown.
    return {
      adaptiveStream: true,
      dynacast: true,
      simulcast: true,
      autoSubscribe: capacity <= 50,
      maxVisibleVideoTiles: Math.min(9, capacity),
    };
  }
  if (capacity <= 8) {
    return {
      adaptiveStream: false,
      dynacast: false,
      simulcast: true,
      autoSubscribe: true,
      maxVisibleVideoTiles: capacity,
    };
  }
  if (capacity <= 50) {
    return {
      adaptiveStream: true,
      dynacast: true,
      simulcast: true,
      autoSubscribe: true,
      maxVisibleVideoTiles: Math.min(16, capacity),
    };
  }
  return {
    adaptiveStream: true,
    dynacast: true,
    simulcast: true,
    autoSubscribe: capacity <= 100,
    maxVisibleVideoTiles: VISIBLE_TILE_LIMIT,
  };
}
