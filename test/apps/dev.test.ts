import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/plan/plan.ts";
import { freePort } from "../support/processes.ts";

describe("npm run dev", () => {
  it("migrates and starts auth, meetings and chat, prints their URLs, and stops on Ctrl-C", async () => {
    const base = await freePort();
    const child = spawn(join(PROJECT_ROOT, "node_modules/.bin/tsx"), [join(PROJECT_ROOT, "scripts/dev.ts")], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DEV_BASE_PORT: String(base),
        DATABASE_URL: "",
        REDIS_URL: "",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes("[dev] Ctrl-C stops everything.")) {
        if (child.exitCode !== null) throw new Error(`dev exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`dev did not become ready:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const urls = [...output.matchAll(/\[dev\]\s+(\w+)\s+(http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => [
        m[1],
        m[2],
      ]);
      expect(urls).toEqual([
        ["auth", `http://127.0.0.1:${base}`],
        ["meetings", `http://127.0.0.1:${base + 1}`],
        ["chat", `http://127.0.0.1:${base + 2}`],
      ]);
      for (const [, url] of urls) {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
      }
      const jwks = (await (await fetch(`http://127.0.0.1:${base}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys).toHaveLength(1);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
    }
    expect(child.exitCode).toBe(0);
  }, 120_000);
});
