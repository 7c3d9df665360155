import {
  CarouselLayout,
  FocusLayout,
  FocusLayoutContainer,
  GridLayout,
  ParticipantTile,
  type TrackReferenceOrPlaceholder,
  useTracks,
} from "@livekit/components-react";
import { RemoteTrackPublication, Track } from "livekit-client";
import { useEffect, useMemo } from "react";
import type { ClientSettings } from "../api/meetings.ts";

export type LayoutKind = "grid" | "speaker";

function isScreenShare(ref: TrackReferenceOrPlaceholder): boolean {
  return ref.source === Track.Source.ScreenShare;
}

/**
 * Screen shares first, then whoever spoke most recently, then the rest in join order; the local camera is
 * always kept. Only the first `maxVisibleVideoTiles` are rendered — with adaptive stream on, video that is not
 * rendered is paused at the SFU, so a 500-person meeting receives at most that many videos.
 */
export function visibleTiles(
  refs: TrackReferenceOrPlaceholder[],
  limit: number,
): TrackReferenceOrPlaceholder[] {
  const ordered = [...refs].sort((a, b) => {
    if (isScreenShare(a) !== isScreenShare(b)) return isScreenShare(a) ? -1 : 1;
    if (a.participant.isLocal !== b.participant.isLocal) return a.participant.isLocal ? -1 : 1;
    const spokeA = a.participant.lastSpokeAt?.getTime() ?? 0;
    const spokeB = b.participant.lastSpokeAt?.getTime() ?? 0;
    if (spokeA !== spokeB) return spokeB - spokeA;
    return (a.participant.joinedAt?.getTime() ?? 0) - (b.participant.joinedAt?.getTime() ?? 0);
  });
  return ordered.slice(0, Math.max(1, limit));
}

export function RoomLayout({ layout, settings }: { layout: LayoutKind; settings: ClientSettings }) {
  const refs = useTracks(
    [
      { source: Track.Source.Camera, withPlaceholder: true },
      { source: Track.Source.ScreenShare, withPlaceholder: false },
    ],
    { onlySubscribed: false },
  );
  const visible = useMemo(() => visibleTiles(refs, settings.maxVisibleVideoTiles), [refs, settings]);
  const hidden = refs.length - visible.length;

  // With selective subscription (large meetings) the client subscribes exactly the videos it shows.
  useEffect(() => {
    if (settings.autoSubscribe) return;
    const shown = new Set(visible.map((ref) => ref.publication?.trackSid).filter(Boolean));
    for (const ref of refs) {
      const publication = ref.publication;
      if (publication instanceof RemoteTrackPublication)
        publication.setSubscribed(shown.has(publication.trackSid));
    }
  }, [refs, visible, settings.autoSubscribe]);

  const focus = visible.find(isScreenShare) ?? visible.find((ref) => !ref.participant.isLocal) ?? visible[0];
  return (
    <div className="stage" data-layout={layout}>
      {layout === "speaker" && focus ? (
        <FocusLayoutContainer>
          <CarouselLayout tracks={visible.filter((ref) => ref !== focus)}>
            <ParticipantTile />
          </CarouselLayout>
          <FocusLayout trackRef={focus} />
        </FocusLayoutContainer>
      ) : (
        <GridLayout tracks={visible}>
          <ParticipantTile />
        </GridLayout>
      )}
      {hidden > 0 && (
        <p className="more-participants" role="status">
          +{hidden} more (video hidden to save bandwidth)
        </p>
      )}
    </div>
  );
}
