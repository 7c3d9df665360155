import type { Redis } from "ioredis";

/**
 * What LiveKit itself keeps in its Redis about the SFU fleet, read the way livekit-server reads it
 * (livekit/livekit pkg/routing/redisrouter.go: hash `nodes` — node id → protobuf `livekit.Node`; hash
 * `room_node_map` — room name → node id; https://github.com/livekit/livekit/blob/master/pkg/routing/redisrouter.go).
 * A node counts as available while its stats are younger than 5 s (`selector.AvailableSeconds`, refreshed every
 * 2 s by `stats_update_interval`; pkg/routing/selector/utils.go): the same rule LiveKit applies before it moves
 * a room to another node, so meetings never declares a node dead that LiveKit would still route to.
 */
export const NODE_AVAILABLE_SECONDS = 5;
const NODES_KEY = "nodes";
const ROOM_NODE_KEY = "room_node_map";

/** livekit.NodeState (protocol livekit_internal.proto). */
export type MediaNodeState = "starting" | "serving" | "shutting_down" | "suspended";
const NODE_STATES: MediaNodeState[] = ["starting", "serving", "shutting_down", "suspended"];

export interface MediaNode {
  id: string;
  state: MediaNodeState;
  /** Unix seconds of the node's last stats report. */
  statsUpdatedAt: number;
  rooms: number;
}

export function nodeAvailable(node: MediaNode | undefined, nowMs: number): boolean {
  if (!node) return false;
  return Math.floor(nowMs / 1000) - node.statsUpdatedAt < NODE_AVAILABLE_SECONDS;
}

/** The few protobuf fields meetings needs; unknown fields are skipped by wire type. */
function* protoFields(bytes: Uint8Array): Generator<{ field: number; value: number | Uint8Array }> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[pos++];
      if (byte === undefined) throw new Error("truncated varint in a LiveKit node record");
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) yield { field, value: varint() };
    else if (wire === 2) {
      const length = varint();
      yield { field, value: bytes.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire} in a LiveKit node record`);
  }
}

/** Decodes livekit.Node: id = 1, stats = 4 (NodeStats: updated_at = 2, num_rooms = 3), state = 6. */
export function decodeMediaNode(bytes: Uint8Array): MediaNode {
  const node: MediaNode = { id: "", state: "starting", statsUpdatedAt: 0, rooms: 0 };
  for (const { field, value } of protoFields(bytes)) {
    if (field === 1 && value instanceof Uint8Array) node.id = new TextDecoder().decode(value);
    else if (field === 6 && typeof value === "number") node.state = NODE_STATES[value] ?? "suspended";
    else if (field === 4 && value instanceof Uint8Array) {
      for (const stat of protoFields(value)) {
        if (stat.field === 2 && typeof stat.value === "number") node.statsUpdatedAt = stat.value;
        if (stat.field === 3 && typeof stat.value === "number") node.rooms = stat.value;
      }
    }
  }
  return node;
}

export class LiveKitNodeRegistry {
  constructor(private readonly redis: Redis) {}

  async nodes(): Promise<Map<string, MediaNode>> {
    const raw = await this.redis.hgetallBuffer(NODES_KEY);
    const nodes = new Map<string, MediaNode>();
    for (const [id, bytes] of Object.entries(raw)) nodes.set(id, { ...decodeMediaNode(bytes), id });
    return nodes;
  }

  /** The node each named room is assigned to; rooms LiveKit has not placed are absent. */
  async roomNodes(rooms: string[]): Promise<Map<string, string>> {
    const placed = new Map<string, string>();
    if (rooms.length === 0) return placed;
    const ids = await this.redis.hmget(ROOM_NODE_KEY, ...rooms);
    rooms.forEach((room, i) => {
      const id = ids[i];
      if (id) placed.set(room, id);
    });
    return placed;
  }
}
