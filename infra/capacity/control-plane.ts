import type { PlannerAssumptions } from "../../catalogue/assumptions.ts";
import type { ServiceName } from "../../components/apps/service-registry.ts";

export interface ServiceReplicas {
  service: ServiceName;
  /** What drives the load, in words, with the rate. */
  driver: string;
  coresNeeded: number;
  replicaCpu: number;
  replicas: number;
}

export interface ControlPlanePlan {
  joinsPerSecond: number;
  chatFramesPerSecond: number;
  services: ServiceReplicas[];
}

/** Replicas never drop below two: one replica's restart must not take a service down. */
const MIN_REPLICAS = 2;

function replicas(coresNeeded: number, replicaCpu: number, target: number): number {
  return Math.max(MIN_REPLICAS, Math.ceil(coresNeeded / (replicaCpu * target) - 1e-9));
}

/**
 * Control-plane replicas from the service benchmarks (bench/auth/RESULTS.md, bench/chat/RESULTS.md and the
 * sources `npm run capacity` prints with each assumption): the join storm at the
 * start of the target meetings (auth: session refresh or password login; meetings: a LiveKit token per join) and
 * chat fan-out during them.
 */
export function planControlPlane(
  meetings: number,
  participants: number,
  a: PlannerAssumptions,
): ControlPlanePlan {
  const joinsPerSecond = (meetings * participants) / a.joinWindowSeconds;
  const verifySeconds = 1 / a.jwtVerifiesPerCorePerSecond;
  const signSeconds = 1 / a.jwtSignsPerCorePerSecond;
  const authSecondsPerJoin =
    a.passwordLoginShare * (a.argon2VerifyMs / 1000) +
    (1 - a.passwordLoginShare) * verifySeconds +
    signSeconds;
  const meetingsSecondsPerJoin = verifySeconds + signSeconds;
  const chatFramesPerSecond = meetings * a.chatMessagesPerMeetingPerSecond * participants;
  const chatCores = chatFramesPerSecond / a.chatFramesPerCorePerSecond + joinsPerSecond * verifySeconds;
  const authCores = joinsPerSecond * authSecondsPerJoin;
  const meetingsCores = joinsPerSecond * meetingsSecondsPerJoin;
  const rate = (n: number) => Math.round(n).toLocaleString("en-US");
  return {
    joinsPerSecond,
    chatFramesPerSecond,
    services: [
      {
        service: "auth",
        driver: `${rate(joinsPerSecond)} joins/s (${a.passwordLoginShare * 100} % password logins)`,
        coresNeeded: authCores,
        replicaCpu: a.authReplicaCpu,
        replicas: replicas(authCores, a.authReplicaCpu, a.serviceCpuTarget),
      },
      {
        service: "meetings",
        driver: `${rate(joinsPerSecond)} LiveKit tokens/s`,
        coresNeeded: meetingsCores,
        replicaCpu: a.meetingsReplicaCpu,
        replicas: replicas(meetingsCores, a.meetingsReplicaCpu, a.serviceCpuTarget),
      },
      {
        service: "chat",
        driver: `${rate(chatFramesPerSecond)} frames/s fan-out, ${rate(meetings * participants)} sockets`,
        coresNeeded: chatCores,
        replicaCpu: a.chatReplicaCpu,
        replicas: replicas(chatCores, a.chatReplicaCpu, a.serviceCpuTarget),
      },
    ],
  };
}
