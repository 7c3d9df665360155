/**
 * PriorityClasses. The scheduler preempts only pods of lower priority
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/), so media pods — one LiveKit
 * per node, hosting live meetings — get the highest value of any workload class, and every other class is
 * `preemptionPolicy: Never`: they wait for room instead of evicting anyone. The kube-system classes
 * (system-cluster-critical, 2e9) stay above ours by design. A quota in every other namespace forbids the media
 * class (see `mediaPriorityGuard`), so nothing else can borrow it.
 */
export interface PlatformPriorityClass {
  name: string;
  value: number;
  preemptionPolicy: "PreemptLowerPriority" | "Never";
  description: string;
}

export const PRIORITY_CLASSES = {
  media: {
    name: "gomeet-media",
    value: 1_000_000,
    preemptionPolicy: "PreemptLowerPriority",
    description: "LiveKit SFU pods: hold live meetings; never preempted by another GoMeet workload.",
  },
  recording: {
    name: "gomeet-recording",
    value: 500_000,
    preemptionPolicy: "Never",
    description: "LiveKit egress (recordings): important, but waits for capacity instead of evicting.",
  },
  platform: {
    name: "gomeet-platform",
    value: 200_000,
    preemptionPolicy: "Never",
    description: "Gateway, certificates and monitoring: waits for capacity instead of evicting.",
  },
  services: {
    name: "gomeet-services",
    value: 100_000,
    preemptionPolicy: "Never",
    description: "auth, meetings and chat: waits for capacity instead of evicting.",
  },
} as const satisfies Record<string, PlatformPriorityClass>;
