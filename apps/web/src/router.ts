import { useEffect, useState } from "react";

/** The app's routes; the CDN (and the dev server) answer every path with index.html. */
export type Route =
  | { name: "home" }
  | { name: "signin"; next: string | undefined }
  | { name: "signup"; next: string | undefined }
  | { name: "new-meeting" }
  | { name: "meeting"; id: string }
  | { name: "join"; id: string }
  | { name: "invitation"; code: string }
  | { name: "not-found"; path: string };

export function parseRoute(path: string, search: string): Route {
  const next = new URLSearchParams(search).get("next") ?? undefined;
  const safeNext = next?.startsWith("/") && !next.startsWith("//") ? next : undefined;
  if (path === "/" || path === "") return { name: "home" };
  if (path === "/signin") return { name: "signin", next: safeNext };
  if (path === "/signup") return { name: "signup", next: safeNext };
  if (path === "/meetings/new") return { name: "new-meeting" };
  const meeting = /^\/meetings\/([0-9a-f-]{36})$/.exec(path);
  if (meeting) return { name: "meeting", id: meeting[1]! };
  const join = /^\/meetings\/([0-9a-f-]{36})\/join$/.exec(path);
  if (join) return { name: "join", id: join[1]! };
  const invitation = /^\/j\/([A-Za-z0-9_-]{43})$/.exec(path);
  if (invitation) return { name: "invitation", code: invitation[1]! };
  return { name: "not-found", path };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

function currentRoute(): Route {
  return parseRoute(location.pathname, location.search);
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
