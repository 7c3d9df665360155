/**
 * Memory DOKS leaves for pods per node RAM size, in GiB (DigitalOcean Kubernetes Limits,
 * docs/sources.md#doks-limits). DOKS publishes no reserved-CPU figure, so CPU is sized by headroom instead
 * (components/media/node-sizing.ts).
 */
const ALLOCATABLE_MEMORY_GIB: Readonly<Record<number, number>> = {
  2: 1,
  4: 2.5,
  8: 6,
  16: 13,
  32: 28,
  64: 58,
  128: 119.5,
  160: 151,
  192: 182,
};

/** The node RAM sizes, in GiB, DOKS publishes allocatable memory for. */
export const PUBLISHED_NODE_MEMORY_GIB: readonly number[] = Object.keys(ALLOCATABLE_MEMORY_GIB).map(Number);

/** Allocatable memory of a node with `memoryGib` of RAM, or undefined where DOKS publishes no figure. */
export function allocatableMemoryGib(memoryGib: number): number | undefined {
  return ALLOCATABLE_MEMORY_GIB[memoryGib];
}
