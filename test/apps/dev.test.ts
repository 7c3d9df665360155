import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRuntimeConfig } from "../../apps/web/src/runtime-config.ts";
import { PROJECT_ROOT } from "../../infra/plan/plan.ts";
import { freePort } from "../support/processes.ts";

describe("npm run dev", () => {
  it("migrates and starts auth, meetings, chat and the web app, prints their URLs, and stops on Ctrl-C", async () => {
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
      // On a fresh checkout dev builds the web app first (npm run build:web).
      const deadline = Date.now() + 240_000;
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
        ["web", `http://127.0.0.1:${base + 3}`],
      ]);
      for (const [, url] of urls.slice(0, 3)) {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
      }
      const web = `http://127.0.0.1:${base + 3}`;
      const page = await fetch(`${web}/`);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const entry = await page.text();
      expect(entry).toMatch(/<script type="module"[^>]* src="\/assets\/[^"]+\.js"/);
      // A client-side route (an invitation link) gets the same entry document.
      expect(await (await fetch(`${web}/j?code=${"a".repeat(43)}`)).text()).toBe(entry);
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(entry)![1]!;
      const asset = await fetch(`${web}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect((await fetch(`${web}/assets/missing-00000000.js`)).status).toBe(404);
      const config = parseRuntimeConfig(await (await fetch(`${web}/config.json`)).json());
      expect(config).toMatchObject({
        authUrl: `http://127.0.0.1:${base}`,
        meetingsUrl: `http://127.0.0.1:${base + 1}`,
        chatUrl: `http://127.0.0.1:${base + 2}`,
      });
      // The app's origin may call the APIs from the browser.
      const preflight = await fetch(`${config.authUrl}/v1/auth/login`, {
        method: "OPTIONS",
        headers: {
          origin: web,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(web);
      const jwks = (await (await fetch(`http://127.0.0.1:${base}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys).toHaveLength(1);
    } finally {
      // A dev that already died (the early-exit error above) fires no further "exit": do not wait for one.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT");
        const stuck = setTimeout(() => child.kill("SIGKILL"), 60_000);
        await exited;
        clearTimeout(stuck);
      }
    }
    expect({ code: child.exitCode, signal: child.signalCode }, output).toEqual({ code: 0, signal: null });
  }, 300_000);
});
