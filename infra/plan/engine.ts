import * as pulumi from "@pulumi/pulumi";
import { fakeInvoke, fakeResource } from "./fake-outputs.ts";
import { SECRET_PLACEHOLDER } from "./stack-file.ts";

/** One declared resource as the engine received it: what `pulumi preview` would create. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  /** Component resources group children; custom resources are what the cloud creates. */
  custom: boolean;
  parent?: string;
  /** URNs this resource waits for (explicit dependsOn plus every input that came from another resource). */
  dependencies: string[];
  /** Resource inputs with every secret value replaced by the placeholder. */
  inputs: Record<string, unknown>;
  /** Input paths that held a secret (the values are never recorded). */
  secretInputs: string[];
  protect: boolean;
  /** Input paths the engine leaves alone on update (`ignoreChanges`). */
  ignoreChanges?: string[];
}

export interface PlanGraph {
  project: string;
  stack: string;
  resources: PlannedResource[];
  /** Stack outputs, secrets replaced by the placeholder. */
  outputs: Record<string, unknown>;
  secretOutputs: string[];
}

export interface ProgramRun {
  project: string;
  stack: string;
  /** Fully qualified config keys → string values, exactly as the CLI passes them to the program. */
  config: Record<string, string>;
  secretKeys: string[];
  /** The program to run inside the mock engine (the same function `pulumi up` runs). */
  program: () => unknown;
  /**
   * Called with every secret value the engine redacts. Tests use it to prove that no such value reaches the
   * printed plan or its JSON; the plan commands never set it.
   */
  onSecret?: (value: unknown) => void;
}

// The mock monitor speaks the engine's gRPC request objects; only these getters are used here.
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getObject(): unknown;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void;
  };
}
interface RegisterResponse {
  getUrn(): string;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): unknown;
}
type Callback<T> = (error: Error | null, response: T | undefined) => void;
interface MonitorLike {
  registerResource(req: RegisterRequest, cb: Callback<RegisterResponse>): Promise<void>;
  registerResourceOutputs(req: OutputsRequest, cb: Callback<unknown>): void;
}

let running = false;

/**
 * Runs a Pulumi program in-process under `pulumi.runtime.setMocks` and records every resource it declares,
 * with parent, dependencies and (secret-redacted) inputs. Runs are serialized: the Pulumi runtime keeps its
 * state in process globals.
 */
export async function recordProgram(run: ProgramRun): Promise<PlanGraph> {
  if (running) throw new Error("offline plan: a plan is already running in this process; await it first");
  running = true;
  try {
    return await record(run);
  } finally {
    running = false;
  }
}

async function record(run: ProgramRun): Promise<PlanGraph> {
  const resources = new Map<string, PlannedResource>();
  let stackOutputs: unknown = {};
  const failures: Error[] = [];
  const mockFailures: Error[] = [];

  await pulumi.runtime.setMocks(
    {
      // A missing model is recorded and answered with a neutral value rather than thrown: a throw here would
      // surface as an unhandled rejection inside the SDK. The plan then fails with this error once it is done.
      newResource(args) {
        if (!args.custom) return { id: undefined, state: {} };
        const urn = `${args.type}::${args.name}`;
        try {
          return fakeResource(args.type, urn, args.name, plainInputs(args.inputs));
        } catch (error) {
          mockFailures.push(error as Error);
          return { id: `unmodelled-${args.name}`, state: {} };
        }
      },
      call(args) {
        try {
          return fakeInvoke(args.token, plainInputs(args.inputs));
        } catch (error) {
          mockFailures.push(error as Error);
          return {};
        }
      },
    },
    run.project,
    run.stack,
    false,
    "organization",
  );
  pulumi.runtime.setAllConfig(run.config, run.secretKeys);

  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req, cb) => {
    await register(req, (error, response) => {
      if (!error && response) {
        const { value, secretPaths } = redact(
          pulumi.runtime.deserializeProperties(req.getObject() as never),
          run.onSecret,
        );
        const dependencies = new Set(req.getDependenciesList());
        req.getPropertydependenciesMap().forEach((deps) => {
          for (const urn of deps.getUrnsList()) dependencies.add(urn);
        });
        const urn = response.getUrn();
        resources.set(urn, {
          urn,
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          dependencies: [...dependencies].filter((d) => d !== req.getParent()).sort(),
          inputs: value as Record<string, unknown>,
          secretInputs: secretPaths,
          protect: req.getProtect(),
          ignoreChanges: req.getIgnorechangesList(),
        });
      } else if (error) {
        failures.push(error);
      }
      cb(error, response);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) {
      stackOutputs = pulumi.runtime.deserializeProperties(req.getOutputs() as never);
    }
    registerOutputs(req, cb);
  };

  // An error thrown by the program (e.g. invalid config) or by a fake-output model surfaces here once, instead
  // of as an unhandled rejection from the SDK's internal promises.
  const onRejection = (reason: unknown) =>
    failures.push(reason instanceof Error ? reason : new Error(String(reason)));
  // An exception thrown inside an `apply` callback can escape the SDK's promises; record it like a rejection.
  // When the program can then never finish (an output that will not resolve), Node would exit silently with
  // "unsettled top-level await": say what went wrong first.
  const onStall = () => {
    const cause = mockFailures[0] ?? failures[0];
    process.stderr.write(
      `offline plan: the program stopped before declaring all resources${cause ? `: ${cause.message}` : " (an output never resolved)"}\n`,
    );
    process.exitCode = 1;
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onRejection);
  process.once("beforeExit", onStall);
  try {
    await pulumi.runtime
      .runInPulumiStack(async () => {
        try {
          return await run.program();
        } catch (error) {
          failures.unshift(error as Error);
          return {};
        }
      })
      .catch(onRejection);
    await pulumi.runtime.disconnect().catch(onRejection);
    // Rejections of outputs nobody awaited surface a turn later; collect them before the handlers go.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onRejection);
    process.off("beforeExit", onStall);
  }
  // What the mock engine refused explains any error the program hit afterwards, so it comes first.
  const first = mockFailures[0] ?? failures[0];
  if (first) throw first;

  const outputs = redact(stackOutputs, run.onSecret);
  return {
    project: run.project,
    stack: run.stack,
    resources: [...resources.values()].sort((a, b) => a.urn.localeCompare(b.urn)),
    outputs: outputs.value as Record<string, unknown>,
    secretOutputs: outputs.secretPaths,
  };
}

/** Inputs as the mock receives them, with secret wrappers removed (fake outputs may be derived from them). */
function plainInputs(value: unknown): Record<string, unknown> {
  return unwrapSecrets(value) as Record<string, unknown>;
}

function unwrapSecrets(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/**
 * Replaces every secret (RPC secret wrapper) with the placeholder and lists the paths where secrets were. A
 * secret mapping or list keeps its shape, each leaf replaced, so a reviewer still sees which keys a Kubernetes
 * Secret holds and which of them changed — never a value.
 */
export function redact(
  value: unknown,
  onSecret?: (value: unknown) => void,
): { value: unknown; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const hide = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => hide(item, `${path}[${i}]`));
    if (v !== null && typeof v === "object" && !pulumi.Resource.isInstance(v)) {
      return Object.fromEntries(
        Object.entries(v).map(([k, inner]) => [k, hide(inner, path ? `${path}.${k}` : k)]),
      );
    }
    secretPaths.push(path || "(root)");
    return SECRET_PLACEHOLDER;
  };
  const walk = (v: unknown, path: string): unknown => {
    if (pulumi.runtime.isRpcSecret(v)) {
      const plain = unwrapSecrets(v);
      onSecret?.(plain);
      return hide(plain, path);
    }
    if (pulumi.Resource.isInstance(v)) return "[resource reference]";
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, inner]) => [k, walk(inner, path ? `${path}.${k}` : k)]),
      );
    }
    return v;
  };
  const out = walk(value, "");
  return { value: out, secretPaths: secretPaths.sort() };
}
