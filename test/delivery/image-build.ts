import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { basename, dirname, join, matchesGlob, posix, relative } from "node:path";
import {
  type Instruction,
  instructions,
  parseCopy,
  parseDockerfile,
  parseEnv,
  type Stage,
  substitute,
} from "./dockerfile.ts";

/**
 * Carries out a Dockerfile's stages on this machine without a container engine: each stage gets a directory as
 * its filesystem root, COPY copies from the build context (minus what .dockerignore excludes) or from an earlier
 * stage's root, RUN runs under `sh -c` in the stage's WORKDIR with its ARG and ENV values. The one stand-in is
 * `npm ci`, which would download the dependency tree again: the stage gets a link to the repository's installed
 * node_modules instead, and the caller checks the flags it was given.
 */

export interface BuiltStage {
  stage: Stage;
  /** The directory standing for the stage's `/`. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: Instruction | undefined;
  /** The `npm ci` commands replaced by a link to the installed node_modules. */
  npmInstalls: string[];
}

export interface ImageBuildOptions {
  contextDir: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  /** Where the stage roots go; one directory per stage is created under it. */
  outDir: string;
  /** Directory of the `node` that RUN steps find first on PATH. */
  nodeBinDir: string;
  log?: (line: string) => void;
  /** Stages of an earlier build to take as they are when they read no build argument (no ARG). */
  reuse?: BuiltStage[];
}

export function dockerIgnorePatterns(contextDir: string): string[] {
  const file = join(contextDir, ".dockerignore");
  if (!existsSync(file)) return [];
  const patterns = readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const negated = patterns.find((p) => p.startsWith("!"));
  if (negated)
    throw new Error(`.dockerignore: exception patterns (${negated}) are not supported by this reader`);
  return patterns.map((p) => posix.normalize(p).replace(/^\/+|\/+$/g, ""));
}

/** Docker excludes a path when a pattern matches it or any directory above it. */
export function isIgnored(relPath: string, patterns: string[]): boolean {
  const parts = relPath.split("/");
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join("/");
    if (patterns.some((pattern) => matchesGlob(prefix, pattern))) return true;
  }
  return false;
}

function inside(root: string, workdir: string, path: string): string {
  return path.startsWith("/") ? join(root, path) : join(root, workdir, path);
}

function copyInto(source: string, destination: string, filter: (src: string) => boolean): void {
  if (!existsSync(source)) throw new Error(`COPY source ${source} does not exist`);
  // The node_modules link that stands in for `npm ci` is carried over as a link.
  if (lstatSync(source).isSymbolicLink()) {
    mkdirSync(dirname(destination), { recursive: true });
    symlinkSync(readlinkSync(source), destination, "dir");
    return;
  }
  if (statSync(source).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    cpSync(source, destination, { recursive: true, filter, dereference: false });
    return;
  }
  const target = destination.endsWith("/") ? join(destination, basename(source)) : destination;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target);
}

function runShell(command: string, cwd: string, env: Record<string, string>, line: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => output.push(d.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`Dockerfile line ${line}: RUN ${command} exited ${code}:\n${output.join("")}`)),
    );
  });
}

export async function buildImage(options: ImageBuildOptions): Promise<BuiltStage[]> {
  const stages = parseDockerfile(options.dockerfile);
  const ignore = dockerIgnorePatterns(options.contextDir);
  const fromContext = (src: string) => {
    const rel = relative(options.contextDir, src);
    return rel === "" || !isIgnored(rel.split("\\").join("/"), ignore);
  };
  const installed = join(options.contextDir, "node_modules");
  const built: BuiltStage[] = [];
  const byName = (name: string) => {
    const found = built.find((b) => b.stage.name === name || String(b.stage.index) === name);
    if (!found) throw new Error(`COPY --from=${name}: no earlier stage has that name`);
    return found;
  };

  for (const stage of stages) {
    const earlier = options.reuse?.find(
      (b) => b.stage.index === stage.index && b.stage.image === stage.image,
    );
    if (earlier && instructions(earlier.stage, "ARG").length === 0) {
      built.push(earlier);
      continue;
    }
    const root = join(options.outDir, stage.name ?? `stage-${stage.index}`);
    mkdirSync(root, { recursive: true });
    const current: BuiltStage = {
      stage,
      root,
      workdir: "/",
      env: {},
      user: undefined,
      cmd: undefined,
      npmInstalls: [],
    };
    const args: Record<string, string> = {};
    const vars = () => ({ ...args, ...current.env });
    options.log?.(`stage ${stage.name ?? stage.index} FROM ${stage.image}`);
    for (const instruction of stage.instructions) {
      const { keyword, line } = instruction;
      if (keyword === "WORKDIR") {
        current.workdir = posix.resolve(current.workdir, substitute(instruction.args, vars(), line));
        mkdirSync(join(root, current.workdir), { recursive: true });
      } else if (keyword === "ARG") {
        const name = instruction.args.split("=")[0]!;
        const value = options.buildArgs[name] ?? instruction.args.split("=")[1];
        if (value !== undefined) args[name] = value;
      } else if (keyword === "ENV") {
        for (const [name, value] of parseEnv(instruction, vars())) current.env[name] = value;
      } else if (keyword === "COPY") {
        const copy = parseCopy(instruction);
        const destination = inside(root, current.workdir, substitute(copy.destination, vars(), line));
        for (const raw of copy.sources) {
          const source = substitute(raw, vars(), line);
          if (copy.from === undefined) {
            if (!fromContext(join(options.contextDir, source))) {
              throw new Error(`Dockerfile line ${line}: COPY ${source} is excluded by .dockerignore`);
            }
            copyInto(join(options.contextDir, source), destination, fromContext);
          } else {
            const other = byName(copy.from);
            copyInto(join(other.root, source), destination, () => true);
          }
        }
      } else if (keyword === "RUN") {
        const cwd = join(root, current.workdir);
        if (/^npm ci\b/.test(instruction.args)) {
          current.npmInstalls.push(instruction.args);
          symlinkSync(installed, join(cwd, "node_modules"), "dir");
          continue;
        }
        options.log?.(`RUN ${instruction.args}`);
        const path = `${options.nodeBinDir}:${process.env.PATH ?? "/usr/bin:/bin"}`;
        await runShell(instruction.args, cwd, { ...vars(), PATH: path, HOME: root }, line);
      } else if (keyword === "USER") {
        current.user = instruction.args;
      } else if (keyword === "CMD") {
        current.cmd = instruction;
      }
    }
    built.push(current);
  }
  return built;
}
