import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { COMPONENTS, firstServiceIp, supervisorScript, writeCertificates } from "./control-plane-files.ts";
import { execFileAsync } from "./processes.ts";

/**
 * A throwaway Kubernetes control plane — etcd, kube-apiserver, kube-controller-manager, kube-scheduler —
 * for tests that must be judged by the real API server (admission, quotas, Pod Security, controllers).
 *
 * Everything runs inside a network namespace of its own that holds only loopback (`unshare -n`): the API
 * server dials webhook and aggregated-API Service addresses by itself, and that traffic must not leave the
 * test. Because the namespace is new and empty, the components listen on their usual ports there.
 *
 * The test process stays outside the namespace, so it cannot reach the namespace's loopback. It talks
 * through `kubectl proxy --unix-socket`, started inside the namespace with the admin credentials: a Unix
 * socket is a file, reachable from both sides, and every byte of TCP stays inside the namespace. For
 * kubectl itself, `kubectl()` runs it inside the namespace with `nsenter --net`.
 */
export interface ControlPlane {
  /** Admin kubeconfig (client certificate in `system:masters`); usable inside the namespace only. */
  kubeconfigPath: string;
  /** The Unix socket of `kubectl proxy`: plain HTTP, already authenticated as the admin. */
  socketPath: string;
  /** The Kubernetes version the API server reports, e.g. `v1.35.4`. */
  version: string;
  /** One HTTP request to the API server through the proxy; the body is sent as JSON. */
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Runs a command inside the control plane's network namespace (`nsenter --net`); resolves to its stdout. */
  inNamespace(command: string[]): Promise<string>;
  /** Runs kubectl inside the namespace with the admin kubeconfig. */
  kubectl(args: string[]): Promise<string>;
  /** The last lines of one component's log (`etcd`, `kube-apiserver`, `kube-controller-manager`, …). */
  logTail(component: string, lines?: number): string;
  /** Stops every process, which removes the namespace, and deletes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface ControlPlaneOptions {
  /** The Service IP range, e.g. the cluster's `serviceSubnet` (default 10.96.0.0/16). */
  serviceClusterIpRange?: string;
  /** Directory holding the binaries (default `KUBE_CONTROL_PLANE_BIN` or `.tools/bin` of the repository). */
  binDir?: string;
}

const REPO_ROOT = resolve(import.meta.dirname, "../..");

export function controlPlaneBinDir(): string {
  return process.env.KUBE_CONTROL_PLANE_BIN ?? join(REPO_ROOT, ".tools/bin");
}

/** Starts the control plane and waits until the API server is ready and the controllers are running. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? controlPlaneBinDir();
  const missing = COMPONENTS.filter((c) => !existsSync(join(binDir, c)));
  if (missing.length > 0) {
    throw new Error(
      `control plane: ${missing.join(", ")} not found in ${binDir}; build them with \`bash scripts/build-control-plane.sh\` (or set KUBE_CONTROL_PLANE_BIN)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "gomeet-control-plane-"));
  let supervisor: ChildProcess | undefined;
  const stop = async () => {
    if (supervisor) await stopSupervisor(supervisor);
    supervisor = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const serviceRange = options.serviceClusterIpRange ?? "10.96.0.0/16";
    await writeCertificates(dir, firstServiceIp(serviceRange));
    const script = supervisorScript(dir, binDir, serviceRange);
    writeFileSync(join(dir, "supervisor.sh"), script, { mode: 0o700 });
    const spawned = spawn("unshare", ["-n", "bash", join(dir, "supervisor.sh"), String(process.pid)], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    supervisor = spawned;
    const early: string[] = [];
    spawned.stdout?.on("data", (d: Buffer) => early.push(d.toString()));
    spawned.stderr?.on("data", (d: Buffer) => early.push(d.toString()));
    const socketPath = join(dir, "api.sock");
    const plane = makeControlPlane(dir, socketPath, () => spawned.pid, stop);
    await waitUntil(
      "the API server's /readyz",
      async () => {
        if (spawned.exitCode !== null) {
          throw new Error(`the namespace supervisor exited (${spawned.exitCode}): ${early.join("").trim()}`);
        }
        return existsSync(socketPath) && (await plane.request("GET", "/readyz")).status === 200;
      },
      120_000,
      () => plane.logTail("kube-apiserver", 15),
    );
    // The controller-manager is running once the ServiceAccount controller has filled `default`.
    await waitUntil(
      "the controller-manager (ServiceAccount `default` in namespace default)",
      async () =>
        (await plane.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
      120_000,
      () => plane.logTail("kube-controller-manager", 15),
    );
    const version = (await plane.request("GET", "/version")).body as { gitVersion?: string };
    return { ...plane, version: version.gitVersion ?? "unknown" };
  } catch (error) {
    await stop();
    throw error;
  }
}

function makeControlPlane(
  dir: string,
  socketPath: string,
  pid: () => number | undefined,
  stop: () => Promise<void>,
): Omit<ControlPlane, "version"> {
  const kubeconfigPath = join(dir, "admin.kubeconfig");
  const inNamespace = async (command: string[]) => {
    const target = pid();
    if (target === undefined) throw new Error("control plane: not running");
    const { stdout } = await execFileAsync("nsenter", [`--net=/proc/${target}/ns/net`, ...command], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  return {
    kubeconfigPath,
    socketPath,
    request: (method, path, body) => proxyRequest(socketPath, method, path, body),
    inNamespace,
    kubectl: (args) => inNamespace([join(dir, "bin", "kubectl"), "--kubeconfig", kubeconfigPath, ...args]),
    logTail(component, lines = 20) {
      const file = join(dir, "logs", `${component}.log`);
      if (!existsSync(file)) return `(no ${component} log)`;
      return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    },
    stop,
  };
}

function proxyRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        socketPath,
        method,
        path,
        // kubectl proxy accepts only these Host names (its --accept-hosts default).
        headers: {
          host: "localhost",
          accept: "application/json",
          ...(payload === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain-text answers (/readyz, proxy errors) stay text
          }
          resolvePromise({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  diagnostics: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
      if (String(error).includes("supervisor exited")) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `control plane: timed out waiting for ${what}${lastError ? ` (${String(lastError)})` : ""}\n${diagnostics()}`,
  );
}

async function stopSupervisor(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  await new Promise<void>((done) => {
    // The supervisor stops its components on TERM; the group kill is the backstop if one hangs.
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 15_000);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      done();
    }
  });
}
