/**
 * The app's routes. The CDN serves objects only (no fallback document, docs/web-hosting.md), so every path a
 * person can open or reload is a fixed object — a copy of index.html the stack uploads for each path in
 * public/spa-routes.json — and the variable part (meeting id, invitation code) travels in the query string.
 */
export type Route =
  | { name: "home" }
  | { name: "signin"; next: string | undefined }
  | { name: "signup"; next: string | undefined }
  | { name: "new-meeting" }
  | { name: "meeting"; id: string }
  | { name: "join"; id: string }
  | { name: "invitation"; code: string }
  | { name: "not-found"; path: string };

/** The fixed paths of the routes; public/spa-routes.json lists the same (test/web/routes.test.ts holds them equal). */
export const ROUTE_PATHS = {
  home: "/meetings",
  signin: "/signin",
  signup: "/signup",
  newMeeting: "/meetings/new",
  meeting: "/meeting",
  join: "/meeting/join",
  invitation: "/j",
} as const;

const MEETING_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INVITATION_CODE = /^[A-Za-z0-9_-]{43}$/;

export const meetingPath = (id: string) => `${ROUTE_PATHS.meeting}?id=${encodeURIComponent(id)}`;
export const joinPath = (id: string) => `${ROUTE_PATHS.join}?id=${encodeURIComponent(id)}`;
export const invitationPath = (code: string) => `${ROUTE_PATHS.invitation}?code=${encodeURIComponent(code)}`;

export function parseRoute(path: string, search: string): Route {
  const query = new URLSearchParams(search);
  const next = query.get("next") ?? undefined;
  const safeNext = next?.startsWith("/") && !next.startsWith("//") ? next : undefined;
  const id = query.get("id") ?? "";
  const code = query.get("code") ?? "";
  const route = path.length > 1 ? path.replace(/\/$/, "") : path;
  // The bare origin is no object on the CDN (a request for the bucket itself), so the app's own links go to
  // ROUTE_PATHS.home; "/" and "/index.html" still open the app where a server answers them (npm run dev).
  if (route === "/" || route === "" || route === "/index.html" || route === ROUTE_PATHS.home) {
    return { name: "home" };
  }
  if (route === ROUTE_PATHS.signin) return { name: "signin", next: safeNext };
  if (route === ROUTE_PATHS.signup) return { name: "signup", next: safeNext };
  if (route === ROUTE_PATHS.newMeeting) return { name: "new-meeting" };
  if (route === ROUTE_PATHS.meeting && MEETING_ID.test(id)) return { name: "meeting", id };
  if (route === ROUTE_PATHS.join && MEETING_ID.test(id)) return { name: "join", id };
  if (route === ROUTE_PATHS.invitation && INVITATION_CODE.test(code)) return { name: "invitation", code };
  return { name: "not-found", path: `${path}${search}` };
}
