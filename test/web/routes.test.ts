import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { invitationPath, joinPath, meetingPath, parseRoute, ROUTE_PATHS } from "../../apps/web/src/routes.ts";
import { readWebBuild } from "../../components/edge/web-build.ts";

const SPA_ROUTES_FILE = join(import.meta.dirname, "../../apps/web/public/spa-routes.json");
const spaRoutes = JSON.parse(readFileSync(SPA_ROUTES_FILE, "utf8")) as string[];

const MEETING_ID = "0f8c2f4e-6a57-4d2b-9d51-2c1f0b7e9a10";
const CODE = "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY";

function open(link: string) {
  const url = new URL(link, "https://meet.example.com");
  return { url, route: parseRoute(url.pathname, url.search) };
}

describe("links the app makes land on objects the CDN serves", () => {
  it("every route path is listed in public/spa-routes.json, and nothing else is", () => {
    expect([...spaRoutes].sort()).toEqual(Object.values(ROUTE_PATHS).sort());
  });

  it("the build's route list passes the stack's validator (components/edge/web-build.ts)", () => {
    const dir = mkdtempSync(join(tmpdir(), "web-build-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "index.html"), "<!doctype html>");
    writeFileSync(join(dir, "spa-routes.json"), readFileSync(SPA_ROUTES_FILE));
    expect(readWebBuild(dir)?.spaRoutes.sort()).toEqual(spaRoutes.map((r) => r.slice(1)).sort());
  });

  it.each([
    ["invitation", invitationPath(CODE), { name: "invitation", code: CODE }],
    ["meeting", meetingPath(MEETING_ID), { name: "meeting", id: MEETING_ID }],
    ["join", joinPath(MEETING_ID), { name: "join", id: MEETING_ID }],
  ])("the %s link opens its route from a path the CDN has", (_, link, expected) => {
    const { url, route } = open(link);
    expect(route).toEqual(expected);
    expect(spaRoutes).toContain(url.pathname);
  });

  it("a sign-in redirect keeps a deep link with its query", () => {
    const next = joinPath(MEETING_ID);
    const { route } = open(`/signin?next=${encodeURIComponent(next)}`);
    expect(route).toEqual({ name: "signin", next });
    expect(open(next).route).toEqual({ name: "join", id: MEETING_ID });
  });

  it("a redirect to another site is dropped", () => {
    expect(open("/signin?next=%2F%2Fevil.example").route).toEqual({ name: "signin", next: undefined });
  });

  it("paths with the variable in the path (no object can have that key) are not routes", () => {
    expect(open(`/j/${CODE}`).route.name).toBe("not-found");
    expect(open(`/meetings/${MEETING_ID}`).route.name).toBe("not-found");
  });

  it("a malformed id or code is not-found, naming what was opened", () => {
    expect(open("/meeting?id=42").route).toEqual({ name: "not-found", path: "/meeting?id=42" });
    expect(open("/j?code=short").route).toEqual({ name: "not-found", path: "/j?code=short" });
    expect(open("/meeting/join").route.name).toBe("not-found");
  });

  it("home is an object too; the root and the entry document also open it where a server answers them", () => {
    expect(open(ROUTE_PATHS.home).route).toEqual({ name: "home" });
    expect(spaRoutes).toContain(ROUTE_PATHS.home);
    expect(open("/").route).toEqual({ name: "home" });
    expect(open("/index.html").route).toEqual({ name: "home" });
  });
});
