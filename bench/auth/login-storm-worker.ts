/**
 * The login storm of bench/auth/isolation.ts on a thread of its own: its requests and answers are handled by this
 * thread's event loop, so the loop that times the reads is not delayed by the storm's client work — as readers and
 * the clients that storm the login endpoint are different machines in production. Started by isolation.ts with
 * `workerData`; posts the open loop's summary back and exits.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openLoop } from "../meetings/load-patterns.ts";

export interface LoginStormInput {
  base: string;
  users: Array<{ email: string; password: string }>;
  rate: number;
  count: number;
}

const input = workerData as LoginStormInput;
const login = async (i: number, signal: AbortSignal) => {
  const res = await fetch(`${input.base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input.users[i % input.users.length]),
    signal,
  });
  await res.arrayBuffer();
  return res.status;
};
parentPort?.postMessage(await openLoop({ rate: input.rate, count: input.count, send: login }));
