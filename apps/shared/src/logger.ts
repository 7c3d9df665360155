/**
 * Structured JSON logs: one object per line, with the service name and (inside a request) the request id.
 * The sink is injectable so tests can capture every line the service writes.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bindings` (for example the request id). */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  sink?: LogSink;
}

/** Field names whose values are never written, whatever the caller passes. */
const redactedKeys = /pass(word)?|secret|token|authorization|cookie|private|^d$|^key$/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = redactedKeys.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/**
 * Turns an unknown thrown value into loggable fields: name, message, code and stack, nothing else (a
 * configuration error carries its list of problems instead of a stack: it is the operator's to fix).
 */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const problems = (error as { problems?: unknown }).problems;
    if (Array.isArray(problems)) return { error: { name: error.name, message: error.message, problems } };
    return {
      error: { name: error.name, message: error.message, ...(code ? { code } : {}), stack: error.stack },
    };
  }
  return { error: { message: String(error) } };
}

const stdoutSink: LogSink = (line) => process.stdout.write(`${line}\n`);

export function createLogger(options: LoggerOptions): Logger {
  const min = levelRank[options.level ?? "info"];
  const sink = options.sink ?? stdoutSink;
  const make = (bindings: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (levelRank[level] < min) return;
      const entry = redact({ ...bindings, ...fields }) as LogFields;
      sink(
        JSON.stringify({ time: new Date().toISOString(), level, service: options.service, msg, ...entry }),
      );
    };
    return {
      debug: (msg, fields) => write("debug", msg, fields),
      info: (msg, fields) => write("info", msg, fields),
      warn: (msg, fields) => write("warn", msg, fields),
      error: (msg, fields) => write("error", msg, fields),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}
