/**
 * Command line of `npm run ephemeral`: `up <name> [--ttl 8h]`, `down <name>`, `sweep`. Every refusal names the
 * argument, the rule and the value, so a typo never reaches the Pulumi CLI.
 */

export type EphemeralCommand =
  | { kind: "up"; name: string; ttlMs: number; ttlText: string }
  | { kind: "down"; name: string }
  | { kind: "sweep"; dryRun: boolean }
  | { kind: "help" };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const USAGE = [
  "usage: npm run ephemeral -- up <name> [--ttl 8h]   create or update stack eph-<name>, expiring after the TTL",
  "       npm run ephemeral -- down <name>            destroy stack eph-<name> and remove it",
  "       npm run ephemeral -- sweep [--dry-run]      destroy and remove every expired ephemeral stack",
  "                                                   (--dry-run: list what would be destroyed, change nothing)",
  "       npm run ephemeral -- --help | -h            this text",
].join("\n");

export const DEFAULT_TTL = "8h";

/**
 * Stack names become DigitalOcean resource names (`gomeet-eph-<name>-doks`, components/naming.ts), which allow
 * lower-case letters, digits and dashes; 20 characters keeps the longest derived name inside DO's limits.
 */
const NAME_RULE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const NAME_MAX = 20;

/** Longest TTL accepted: an ephemeral stack that must live longer than a week should be a real stack. */
const TTL_MAX_MS = 7 * 24 * 3_600_000;
const TTL_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 24 * 3_600_000 };

export function stackNameFor(name: string): string {
  return `eph-${name}`;
}

export function parseEphemeralName(value: string | undefined): string {
  if (value === undefined || value.startsWith("--")) {
    throw new UsageError("<name>: expected a stack name such as alice-chat, got nothing");
  }
  if (value.startsWith("eph-")) {
    throw new UsageError(
      `<name>: expected the name without the eph- prefix (the command adds it), got "${value}"`,
    );
  }
  if (value.length > NAME_MAX || !NAME_RULE.test(value)) {
    throw new UsageError(
      `<name>: expected 1-${NAME_MAX} lower-case letters, digits and single dashes, starting with a letter, got "${value}"`,
    );
  }
  return value;
}

export function parseTtl(value: string | undefined): number {
  const match = value === undefined ? null : /^([1-9][0-9]*)([mhd])$/.exec(value);
  if (!match) {
    throw new UsageError(
      `--ttl: expected a duration in minutes, hours or days such as 90m, 8h or 2d, got ${value === undefined ? "nothing" : `"${value}"`}`,
    );
  }
  const ms = Number(match[1]) * (TTL_UNITS[match[2] as string] as number);
  if (ms > TTL_MAX_MS) {
    throw new UsageError(`--ttl: expected at most 7d, got "${value}"`);
  }
  return ms;
}

export function parseEphemeralArguments(argv: readonly string[]): EphemeralCommand {
  const [verb, ...rest] = argv;
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  switch (verb) {
    case "up": {
      const name = parseEphemeralName(rest[0]);
      let ttlText = DEFAULT_TTL;
      const options = rest.slice(1);
      for (let i = 0; i < options.length; i++) {
        const option = options[i] as string;
        if (option === "--ttl") {
          ttlText = options[++i] ?? "";
        } else if (option.startsWith("--ttl=")) {
          ttlText = option.slice("--ttl=".length);
        } else {
          throw new UsageError(`up: unknown argument "${option}" (expected only --ttl <duration>)`);
        }
      }
      return { kind: "up", name, ttlMs: parseTtl(ttlText || undefined), ttlText };
    }
    case "down": {
      const name = parseEphemeralName(rest[0]);
      if (rest.length > 1) throw new UsageError(`down: unexpected argument "${rest[1]}"`);
      return { kind: "down", name };
    }
    case "sweep": {
      const unexpected = rest.find((argument) => argument !== "--dry-run");
      if (unexpected !== undefined) {
        throw new UsageError(`sweep: unexpected argument "${unexpected}" (expected only --dry-run)`);
      }
      return { kind: "sweep", dryRun: rest.includes("--dry-run") };
    }
    default:
      throw new UsageError(
        `command: expected up, down or sweep, got ${verb === undefined ? "nothing" : `"${verb}"`}\n${USAGE}`,
      );
  }
}
