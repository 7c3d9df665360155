import { randomUUID } from "node:crypto";
import { type EgressClient, EncodedFileOutput, EncodedFileType, S3Upload } from "livekit-server-sdk";
import { ApiError } from "../../shared/src/index.ts";
import type { RecordingStorageConfig } from "./config.ts";
import { presignS3Url } from "./s3-presign.ts";

/**
 * Room-composite recordings written by LiveKit egress straight to the recordings Space
 * (S3Upload with the Spaces endpoint, docs/sources.md#livekit-egress-requests; DigitalOcean Spaces takes
 * virtual-hosted and path-style requests, path style keeps one endpoint for every bucket).
 */
export class MeetingRecorder {
  constructor(
    private readonly egress: EgressClient,
    private readonly storage: RecordingStorageConfig,
  ) {}

  objectKey(meetingId: string): string {
    return `recordings/${meetingId}/${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID()}.mp4`;
  }

  async start(roomName: string, objectKey: string): Promise<{ egressId: string; status: number }> {
    const output = new EncodedFileOutput({
      fileType: EncodedFileType.MP4,
      filepath: objectKey,
      output: {
        case: "s3",
        value: new S3Upload({
          accessKey: this.storage.accessKey,
          secret: this.storage.secretKey,
          region: this.storage.region,
          endpoint: this.storage.endpoint,
          bucket: this.storage.bucket,
          forcePathStyle: true,
        }),
      },
    });
    try {
      const info = await this.egress.startRoomCompositeEgress(roomName, { file: output }, { layout: "grid" });
      return { egressId: info.egressId, status: info.status };
    } catch (error) {
      throw egressProblem(error);
    }
  }

  async stop(egressId: string): Promise<void> {
    try {
      await this.egress.stopEgress(egressId);
    } catch (error) {
      const status = (error as { status?: number }).status;
      // Already finished: nothing left to stop.
      if (status === 404 || status === 412) return;
      throw egressProblem(error);
    }
  }

  playbackUrl(objectKey: string): { url: string; expiresAt: Date } {
    const expiresSeconds = this.storage.playbackTtlSeconds;
    const now = new Date();
    const url = presignS3Url({
      method: "GET",
      endpoint: this.storage.endpoint,
      region: this.storage.region,
      bucket: this.storage.bucket,
      key: objectKey,
      accessKey: this.storage.accessKey,
      secretKey: this.storage.secretKey,
      expiresSeconds,
      now,
    });
    return { url, expiresAt: new Date(now.getTime() + expiresSeconds * 1000) };
  }

  /** Deletes the object; S3 answers 204 also when it was already gone, so a retry is safe. */
  async deleteObject(objectKey: string): Promise<void> {
    const url = presignS3Url({
      method: "DELETE",
      endpoint: this.storage.endpoint,
      region: this.storage.region,
      bucket: this.storage.bucket,
      key: objectKey,
      accessKey: this.storage.accessKey,
      secretKey: this.storage.secretKey,
      expiresSeconds: 60,
    });
    let response: Response;
    try {
      response = await fetch(url, { method: "DELETE", signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new ApiError(
        502,
        "storage_error",
        `the recordings store could not be reached: ${(error as Error).message}`,
      );
    }
    if (!response.ok && response.status !== 404)
      throw new ApiError(
        502,
        "storage_error",
        `the recordings store refused the delete with HTTP ${response.status}`,
      );
  }
}

/**
 * livekit-server answers a start request it cannot hand to any egress worker with an error instead of
 * queueing it; say so plainly, since the usual cause is that no egress instance is running or connected.
 */
export function egressProblem(error: unknown): ApiError {
  const message = (error as Error).message ?? String(error);
  const status = (error as { status?: number }).status;
  if (
    status === undefined ||
    status >= 500 ||
    /egress|no response|not connected|unavailable|timed? ?out/i.test(message)
  )
    return new ApiError(
      503,
      "egress_unavailable",
      `no egress worker took the recording request (is the egress service running and connected to LiveKit's Redis?): ${message}`,
      { headers: { "retry-after": "10" } },
    );
  return new ApiError(502, "egress_error", `LiveKit egress refused the request: ${message}`);
}
