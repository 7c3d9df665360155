/**
 * A Dockerfile read into stages and instructions, the subset of the syntax apps/Dockerfile uses: comments and
 * parser directives, backslash continuations, `FROM <image> [AS <name>]`, and instructions kept as their raw
 * argument text. Anything the reader does not know is an error naming the line, so a Dockerfile change the tests
 * cannot follow fails loudly instead of being skipped.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  index: number;
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

const KNOWN = new Set(["ARG", "CMD", "COPY", "ENV", "EXPOSE", "HEALTHCHECK", "RUN", "USER", "WORKDIR"]);

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i]!.trim();
    if (logical === "" || logical.startsWith("#")) continue;
    while (logical.endsWith("\\")) {
      i++;
      if (i >= lines.length) throw new Error(`Dockerfile line ${start}: continuation runs past the end`);
      const next = lines[i]!.trim();
      logical = `${logical.slice(0, -1).trimEnd()} ${next.startsWith("#") ? "" : next}`.trim();
    }
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (!match)
      throw new Error(`Dockerfile line ${start}: expected "<INSTRUCTION> <arguments>", got ${logical}`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start}: FROM expects "<image> [AS <name>]", got ${args}`);
      stages.push({ index: stages.length, image: from[1]!, name: from[2], instructions: [] });
      continue;
    }
    if (!KNOWN.has(keyword))
      throw new Error(`Dockerfile line ${start}: instruction ${keyword} is not understood`);
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${start}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: start });
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The exec (JSON array) form of CMD/ENTRYPOINT; the shell form is refused (signals would reach a shell). */
export function execForm(instruction: Instruction): string[] {
  let argv: unknown;
  try {
    argv = JSON.parse(instruction.args);
  } catch {
    throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} is not in exec (JSON) form`);
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) {
    throw new Error(
      `Dockerfile line ${instruction.line}: ${instruction.keyword} must be a JSON array of strings`,
    );
  }
  return argv;
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    const value = /^--from=(.+)$/.exec(flag)?.[1];
    if (value === undefined)
      throw new Error(`Dockerfile line ${instruction.line}: COPY flag ${flag} is not understood`);
    from = value;
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new Error(`Dockerfile line ${instruction.line}: COPY needs at least one source and a destination`);
  }
  return { from, sources: words, destination };
}

/** `$NAME` and `${NAME}` replaced from `vars`; an unknown name is an error rather than an empty string. */
export function substitute(text: string, vars: Record<string, string>, line: number): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, bare) => {
    const name = (braced ?? bare) as string;
    const value = vars[name];
    if (value === undefined)
      throw new Error(`Dockerfile line ${line}: $${name} is not defined at this point`);
    return value;
  });
}

/** `ENV A=1 B=${X}` as pairs (values without spaces or quotes, which is what the image uses). */
export function parseEnv(instruction: Instruction, vars: Record<string, string>): [string, string][] {
  return instruction.args.split(/\s+/).map((pair) => {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`Dockerfile line ${instruction.line}: ENV expects NAME=value, got ${pair}`);
    return [pair.slice(0, eq), substitute(pair.slice(eq + 1), vars, instruction.line)];
  });
}
