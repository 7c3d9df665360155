import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ephemeralRanges } from "../../components/network/ranges.ts";
import { readStackFile } from "../../infra/plan/stack-file.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { type StandInState, writePulumiStandIn } from "./pulumi-stand-in.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX_CLI = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const EPHEMERAL_CLI = join(ROOT, "infra/ephemeral/cli.ts");
const run = promisify(execFile);

const HOUR = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

/** A throwaway project directory (Pulumi.yaml only) and a bin directory holding the stand-in `pulumi`. */
function workspace(state: StandInState) {
  const base = mkdtempSync(join(tmpdir(), "gomeet-eph-"));
  const project = join(base, "project");
  const bin = join(base, "bin");
  mkdirSync(project);
  mkdirSync(bin);
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(project, "Pulumi.yaml"));
  return { project, bin, pulumi: writePulumiStandIn(bin, state) };
}

async function ephemeral(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await run(process.execPath, [TSX_CLI, EPHEMERAL_CLI, ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const credentials = { PULUMI_ACCESS_TOKEN: "pul-test-token-7d1e", DIGITALOCEAN_TOKEN: "dop_v1_test_4f2a" };
const envWith = (bin: string, extra: NodeJS.ProcessEnv = credentials): NodeJS.ProcessEnv => ({
  PATH: bin,
  HOME: process.env.HOME,
  ...extra,
});
const withStack = (calls: string[][], stack: string) =>
  calls.filter((c) => c[c.indexOf("--stack") + 1]?.endsWith(stack));

describe("npm run ephemeral -- up", () => {
  it("writes a valid stack file, creates and tags eph-<name> with its expiry, then runs pulumi up", async () => {
    const ws = workspace({ loggedIn: true, stacks: { staging: {} } });
    const before = Date.now();
    const out = await ephemeral(["up", "alice", "--ttl", "2h"], ws.project, envWith(ws.bin));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);

    const calls = ws.pulumi.calls();
    expect(calls.map((c) => c.slice(0, 3).join(" "))).toEqual([
      "stack ls --json",
      "stack init eph-alice",
      "stack tag set",
      "stack tag set",
      "up --yes --stack",
    ]);
    expect(calls[2]).toEqual([
      "stack",
      "tag",
      "set",
      "gomeet:ephemeral",
      "true",
      "--stack",
      "eph-alice",
      "--non-interactive",
    ]);
    const expiresCall = calls[3] as string[];
    expect(expiresCall.slice(0, 4)).toEqual(["stack", "tag", "set", "gomeet:expires"]);
    const expires = Date.parse(expiresCall[4] as string);
    expect(expiresCall[4]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(expires).toBeGreaterThanOrEqual(before + 2 * HOUR);
    expect(expires).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
    expect(calls[4]).toEqual(["up", "--yes", "--stack", "eph-alice", "--non-interactive"]);
    expect(ws.pulumi.state().stacks["eph-alice"]).toEqual({
      "gomeet:ephemeral": "true",
      "gomeet:expires": expiresCall[4],
    });

    // The written file is what the program will read: the ephemeral preset, ranges from the stack name.
    const file = readStackFile(ws.project, "eph-alice");
    const config = loadPlatformConfig({
      environment: file.config["gomeet:environment"],
      overrides: JSON.parse(file.config["gomeet:overrides"] as string),
      stack: "eph-alice",
    });
    expect(config.environment).toBe("ephemeral");
    expect(config.domain).toBe("alice.dev.gomeet.app");
    expect(config.network).toEqual(ephemeralRanges("eph-alice"));

    for (const step of ["wrote", "creating stack eph-alice", "tagging eph-alice", "pulumi up --yes"]) {
      expect(out.stdout).toContain(step);
    }
    expect(out.stdout).toContain("+ 42 created");
  });

  it("extends the expiry of an existing ephemeral stack and keeps its edited stack file", async () => {
    const ws = workspace({
      loggedIn: true,
      stacks: { "eph-bob": { "gomeet:ephemeral": "true", "gomeet:expires": iso(HOUR) } },
    });
    const edited =
      "config:\n  gomeet:environment: ephemeral\n  gomeet:overrides:\n    domain: bob.dev.gomeet.app\n    egress: { minReplicas: 0, maxReplicas: 2 }\n";
    writeFileSync(join(ws.project, "Pulumi.eph-bob.yaml"), edited);
    const out = await ephemeral(["up", "bob", "--ttl", "1d"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(0);
    expect(readFileSync(join(ws.project, "Pulumi.eph-bob.yaml"), "utf8")).toBe(edited);
    const calls = ws.pulumi.calls();
    expect(calls.some((c) => c[1] === "init")).toBe(false);
    const expires = Date.parse(ws.pulumi.state().stacks["eph-bob"]?.["gomeet:expires"] ?? "");
    expect(expires).toBeGreaterThan(Date.now() + 23 * HOUR);
    expect(calls.at(-1)?.slice(0, 4)).toEqual(["up", "--yes", "--stack", "eph-bob"]);
  });

  it("refuses a stack of that name that is not tagged ephemeral, before changing anything", async () => {
    const ws = workspace({ loggedIn: true, stacks: { "eph-carol": { owner: "carol" } } });
    const out = await ephemeral(["up", "carol"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("stack eph-carol exists without the gomeet:ephemeral=true tag");
    expect(ws.pulumi.calls().filter((c) => c[0] === "up" || c[2] === "set")).toEqual([]);
    expect(ws.pulumi.state().stacks["eph-carol"]).toEqual({ owner: "carol" });
  });

  it("stops on a stack file the loader rejects, naming the path, the rule and the value", async () => {
    const ws = workspace({ loggedIn: true, stacks: {} });
    writeFileSync(
      join(ws.project, "Pulumi.eph-dave.yaml"),
      "config:\n  gomeet:environment: ephemeral\n  gomeet:overrides:\n    turn: { count: 0 }\n",
    );
    const out = await ephemeral(["up", "dave"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/gomeet:overrides\.turn\.count: expected .*, got 0/);
    expect(ws.pulumi.calls().filter((c) => c[0] !== "whoami")).toEqual([]);
  });
});

describe("npm run ephemeral -- down", () => {
  it("destroys and removes eph-<name> and its stack file", async () => {
    const ws = workspace({
      loggedIn: true,
      stacks: { "eph-erin": { "gomeet:ephemeral": "true", "gomeet:expires": iso(5 * HOUR) }, production: {} },
    });
    writeFileSync(join(ws.project, "Pulumi.eph-erin.yaml"), "config:\n  gomeet:environment: ephemeral\n");
    const out = await ephemeral(["down", "erin"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(0);
    expect(ws.pulumi.calls().at(-1)).toEqual([
      "destroy",
      "--yes",
      "--remove",
      "--stack",
      "eph-erin",
      "--non-interactive",
    ]);
    expect(Object.keys(ws.pulumi.state().stacks)).toEqual(["production"]);
    expect(existsSync(join(ws.project, "Pulumi.eph-erin.yaml"))).toBe(false);
    expect(out.stdout).toContain("eph-erin destroyed and removed");
  });

  it("refuses an eph- stack without the ephemeral tag", async () => {
    const ws = workspace({ loggedIn: true, stacks: { "eph-frank": {} } });
    const out = await ephemeral(["down", "frank"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("stack eph-frank has no gomeet:ephemeral=true tag: refusing to destroy it");
    expect(ws.pulumi.calls().some((c) => c[0] === "destroy")).toBe(false);
  });
});

describe("npm run ephemeral -- sweep", () => {
  it("destroys and removes every expired ephemeral stack and never touches an unexpired or untagged one", async () => {
    const ws = workspace({
      loggedIn: true,
      stacks: {
        "eph-expired-a": { "gomeet:ephemeral": "true", "gomeet:expires": iso(-3 * HOUR) },
        "eph-expired-b": { "gomeet:ephemeral": "true", "gomeet:expires": iso(-60_000) },
        "eph-fresh": { "gomeet:ephemeral": "true", "gomeet:expires": iso(HOUR) },
        "eph-no-expiry": { "gomeet:ephemeral": "true" },
        "eph-garbled": { "gomeet:ephemeral": "true", "gomeet:expires": "tomorrow" },
        "eph-untagged": { "gomeet:expires": iso(-HOUR) },
        production: { "gomeet:ephemeral": "true", "gomeet:expires": iso(-HOUR) },
        staging: {},
      },
    });
    const out = await ephemeral(["sweep"], ws.project, envWith(ws.bin));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const calls = ws.pulumi.calls();
    expect(calls.filter((c) => c[0] === "stack" && c[1] === "ls")).toEqual([
      ["stack", "ls", "--json", "--tag", "gomeet:ephemeral=true", "--non-interactive"],
    ]);
    expect(calls.filter((c) => c[0] === "destroy")).toEqual([
      ["destroy", "--yes", "--remove", "--stack", "organization/gomeet/eph-expired-a", "--non-interactive"],
      ["destroy", "--yes", "--remove", "--stack", "organization/gomeet/eph-expired-b", "--non-interactive"],
    ]);
    for (const kept of [
      "eph-fresh",
      "eph-no-expiry",
      "eph-garbled",
      "eph-untagged",
      "production",
      "staging",
    ]) {
      expect(
        withStack(calls, kept).filter((c) => !(c[0] === "stack" && c[1] === "tag" && c[2] === "ls")),
        kept,
      ).toEqual([]);
    }
    expect(Object.keys(ws.pulumi.state().stacks).sort()).toEqual([
      "eph-fresh",
      "eph-garbled",
      "eph-no-expiry",
      "eph-untagged",
      "production",
      "staging",
    ]);
    expect(out.stdout).toMatch(/keep organization\/gomeet\/eph-fresh: expires .* \(in (59m|1h)\)/);
    expect(out.stdout).toContain("keep organization/gomeet/eph-no-expiry: no gomeet:expires tag");
    expect(out.stdout).toContain(
      'keep organization/gomeet/eph-garbled: gomeet:expires is not an ISO time: "tomorrow"',
    );
    expect(out.stdout).toContain("keep organization/gomeet/production: not an eph- stack");
    expect(out.stdout).toContain("sweep done: 2 destroyed, 4 kept, 0 failed");
  });

  it("keeps going after one destroy fails, then exits 1 naming it", async () => {
    const ws = workspace({
      loggedIn: true,
      failDestroy: ["eph-stuck"],
      stacks: {
        "eph-stuck": { "gomeet:ephemeral": "true", "gomeet:expires": iso(-HOUR) },
        "eph-zed": { "gomeet:ephemeral": "true", "gomeet:expires": iso(-HOUR) },
      },
    });
    const out = await ephemeral(["sweep"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(1);
    expect(out.stdout).toContain("FAILED organization/gomeet/eph-stuck");
    expect(out.stdout).toContain("sweep done: 1 destroyed, 0 kept, 1 failed");
    expect(Object.keys(ws.pulumi.state().stacks)).toEqual(["eph-stuck"]);
  });
});

describe("npm run ephemeral -- sweep --dry-run", () => {
  it("lists the expired stacks it would destroy and destroys nothing", async () => {
    const stacks = {
      "eph-old": { "gomeet:ephemeral": "true", "gomeet:expires": iso(-HOUR) },
      "eph-new": { "gomeet:ephemeral": "true", "gomeet:expires": iso(HOUR) },
    };
    const ws = workspace({ loggedIn: true, stacks });
    const out = await ephemeral(["sweep", "--dry-run"], ws.project, envWith(ws.bin));
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("would destroy organization/gomeet/eph-old: expired");
    expect(out.stdout).toMatch(/keep organization\/gomeet\/eph-new: expires/);
    expect(out.stdout).toContain("sweep done (dry run): 1 would be destroyed, 1 kept, 0 failed");
    expect(ws.pulumi.calls().filter((c) => c[0] === "destroy")).toEqual([]);
    expect(Object.keys(ws.pulumi.state().stacks).sort()).toEqual(["eph-new", "eph-old"]);
  });
});

describe("npm run ephemeral -- --help", () => {
  it("prints the usage and exits 0 without touching the pulumi CLI", async () => {
    const ws = workspace({ loggedIn: true, stacks: {} });
    for (const args of [["--help"], ["-h"], ["sweep", "--help"]]) {
      const out = await ephemeral(args, ws.project, envWith(ws.bin));
      expect(out.code, args.join(" ")).toBe(0);
      expect(out.stdout).toContain("usage: npm run ephemeral -- up <name> [--ttl 8h]");
      expect(out.stdout).toContain("sweep [--dry-run]");
    }
    expect(ws.pulumi.calls()).toEqual([]);
  });
});

describe("preflight", () => {
  it("fails clearly when the pulumi CLI is not on PATH, before writing anything", async () => {
    const ws = workspace({ loggedIn: true, stacks: {} });
    const empty = mkdtempSync(join(tmpdir(), "gomeet-eph-nopath-"));
    const out = await ephemeral(["up", "gina"], ws.project, envWith(empty));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("ephemeral up: cannot run: the pulumi CLI was not found on PATH");
    expect(existsSync(join(ws.project, "Pulumi.eph-gina.yaml"))).toBe(false);
  });

  it("names every missing credential and prints no credential value", async () => {
    const ws = workspace({ loggedIn: false, stacks: {} });
    const out = await ephemeral(["sweep"], ws.project, envWith(ws.bin, {}));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("ephemeral sweep: cannot run: missing credentials");
    expect(out.stderr).toContain("DIGITALOCEAN_TOKEN is not set");
    expect(out.stderr).toContain("no Pulumi backend: set PULUMI_ACCESS_TOKEN");
    expect(ws.pulumi.calls()).toEqual([["whoami", "--non-interactive"]]);

    const partial = await ephemeral(
      ["down", "hal"],
      ws.project,
      envWith(ws.bin, { PULUMI_ACCESS_TOKEN: "pul-secret-91c" }),
    );
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain("DIGITALOCEAN_TOKEN is not set");
    expect(partial.stderr).not.toContain("no Pulumi backend");
    expect(partial.stdout + partial.stderr).not.toContain("pul-secret-91c");
  });

  it("accepts a stored `pulumi login` backend in place of PULUMI_ACCESS_TOKEN", async () => {
    const ws = workspace({ loggedIn: true, stacks: {} });
    const out = await ephemeral(["sweep"], ws.project, envWith(ws.bin, { DIGITALOCEAN_TOKEN: "dop_v1_x" }));
    expect(out.code).toBe(0);
    expect(ws.pulumi.calls()[0]).toEqual(["whoami", "--non-interactive"]);
    expect(out.stdout).toContain("0 ephemeral stack(s) found");
  });

  it("rejects bad arguments with the argument, the rule and the value", async () => {
    const ws = workspace({ loggedIn: true, stacks: {} });
    const cases: [string[], string][] = [
      [["up"], "<name>: expected a stack name such as alice-chat, got nothing"],
      [
        ["up", "eph-x"],
        '<name>: expected the name without the eph- prefix (the command adds it), got "eph-x"',
      ],
      [["up", "Bad_Name"], 'got "Bad_Name"'],
      [
        ["up", "ok", "--ttl", "30s"],
        '--ttl: expected a duration in minutes, hours or days such as 90m, 8h or 2d, got "30s"',
      ],
      [["up", "ok", "--ttl", "8d"], '--ttl: expected at most 7d, got "8d"'],
      [["deploy"], 'command: expected up, down or sweep, got "deploy"'],
    ];
    for (const [args, message] of cases) {
      const out = await ephemeral(args, ws.project, envWith(ws.bin));
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr).toContain(message);
    }
    expect(ws.pulumi.calls()).toEqual([]);
  });
});
