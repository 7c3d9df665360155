import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A stand-in `pulumi` executable for the ephemeral-stack tests: it appends its arguments to a JSONL log and
 * keeps a tiny stack backend (names and tags) in a JSON file, answering the commands the ephemeral tool uses
 * with the output shapes of the real CLI (`stack ls --json` from stack_list.go, `stack tag ls --json` from
 * stack_tag.go). Any other command fails loudly, so the tool cannot call something the tests did not expect.
 */
export interface StandInState {
  loggedIn: boolean;
  /** Short stack name → tags. Listed as `organization/gomeet/<name>`, the DIY backend's project-scoped form. */
  stacks: Record<string, Record<string, string>>;
  /** Short stack names whose `destroy` fails (exit 1), to test that one failure does not stop a sweep. */
  failDestroy?: string[];
}

const SCRIPT = String.raw`
const fs = require("node:fs");
const path = require("node:path");
const dir = __dirname;
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, "calls.jsonl"), JSON.stringify(args) + "\n");
const statePath = path.join(dir, "state.json");
const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const short = (s) => s.slice(s.lastIndexOf("/") + 1);
const fail = (msg, code = 1) => { process.stderr.write("error: " + msg + "\n"); process.exit(code); };
const positional = args.filter((a, i) => !a.startsWith("--") && !["--stack", "--tag"].includes(args[i - 1]));
const verb = positional.slice(0, 3).join(" ");
const stackArg = flag("--stack");
const need = () => {
  if (!stackArg) fail("no --stack given (the stand-in never uses a selected stack)");
  const s = short(stackArg);
  if (!(s in state.stacks)) fail("no stack named '" + stackArg + "' found");
  return s;
};
if (verb === "whoami") {
  if (!state.loggedIn) fail("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions");
  console.log("tester");
} else if (verb.startsWith("stack ls")) {
  const tag = flag("--tag");
  let names = Object.keys(state.stacks).sort();
  if (tag) {
    const [k, v] = tag.split("=");
    names = names.filter((n) => k in state.stacks[n] && (v === undefined || state.stacks[n][k] === v));
  }
  console.log(JSON.stringify(names.map((n) => ({ name: "organization/gomeet/" + n, current: false, resourceCount: 42 })), null, 4));
} else if (verb.startsWith("stack init")) {
  const s = positional[2];
  if (s in state.stacks) fail("stack '" + s + "' already exists");
  state.stacks[s] = {};
  save();
  console.log("Created stack '" + s + "'");
} else if (verb === "stack tag set") {
  const s = need();
  state.stacks[s][positional[3]] = positional[4];
  save();
} else if (verb === "stack tag ls") {
  console.log(JSON.stringify(state.stacks[need()], null, 4));
} else if (verb === "up") {
  console.log("Updating (" + need() + "):\nResources:\n    + 42 created");
} else if (verb === "destroy") {
  const s = need();
  if ((state.failDestroy || []).includes(s)) fail("destroy of " + s + " failed: resource still in use");
  delete state.stacks[s];
  save();
  if (args.includes("--remove")) fs.rmSync(path.join(process.cwd(), "Pulumi." + s + ".yaml"), { force: true });
  console.log("Destroying (" + s + "):\nResources:\n    - 42 deleted\nThe resources in the stack have been deleted, and the stack has been removed.");
} else {
  fail("the stand-in does not model: pulumi " + args.join(" "), 3);
}
`;

export interface StandIn {
  dir: string;
  calls: () => string[][];
  state: () => StandInState;
}

export function writePulumiStandIn(dir: string, state: StandInState): StandIn {
  const bin = join(dir, "pulumi");
  writeFileSync(bin, `#!${process.execPath}\n${SCRIPT}`);
  chmodSync(bin, 0o755);
  writeFileSync(join(dir, "state.json"), JSON.stringify(state, null, 2));
  writeFileSync(join(dir, "calls.jsonl"), "");
  return {
    dir,
    calls: () =>
      readFileSync(join(dir, "calls.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
    state: () => JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as StandInState,
  };
}
