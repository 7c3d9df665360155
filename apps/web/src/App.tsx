import { lazy, Suspense, useEffect, useState } from "react";
import type { MeetingsApi } from "./api/meetings.ts";
import { messageOf } from "./api/problems.ts";
import type { AuthSession, User } from "./api/session.ts";
import { AppContext } from "./app-context.ts";
import { navigate, useRoute } from "./router.ts";
import { ROUTE_PATHS, type Route } from "./routes.ts";
import type { RuntimeConfig } from "./runtime-config.ts";
import { InvitationPage } from "./screens/InvitationPage.tsx";
import { MeetingForm } from "./screens/MeetingForm.tsx";
import { MeetingPage } from "./screens/MeetingPage.tsx";
import { MeetingsList } from "./screens/MeetingsList.tsx";
import { SignInPage } from "./screens/SignInPage.tsx";

// The meeting itself (LiveKit client and components) loads only when someone joins: the first page stays small.
const JoinFlow = lazy(() => import("./screens/JoinFlow.tsx"));

interface AppProps {
  config: RuntimeConfig;
  session: AuthSession;
  meetings: MeetingsApi;
}

function needsSignIn(route: Route): boolean {
  return route.name !== "signin" && route.name !== "signup" && route.name !== "not-found";
}

export function App({ config, session, meetings }: AppProps) {
  const route = useRoute();
  const [user, setUser] = useState<User | undefined>(session.user);
  const [restoring, setRestoring] = useState(true);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    const unsubscribe = session.subscribe((next, reason) => {
      setUser(next);
      if (!next && reason) setNotice(reason);
    });
    session
      .restore()
      .then(setUser, (error: unknown) => setNotice(messageOf(error)))
      .finally(() => setRestoring(false));
    return unsubscribe;
  }, [session]);

  useEffect(() => {
    if (restoring || user || !needsSignIn(route)) return;
    const here = `${location.pathname}${location.search}`;
    navigate(here === "/" ? "/signin" : `/signin?next=${encodeURIComponent(here)}`, { replace: true });
  }, [restoring, user, route]);

  if (restoring) {
    return (
      <main className="page" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }

  return (
    <AppContext.Provider value={{ config, session, meetings, user }}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {route.name !== "join" && <Header user={user} onSignOut={() => void session.signOut()} />}
      {notice && (
        <div className="notice" role="status">
          {notice}{" "}
          <button type="button" className="link" onClick={() => setNotice(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      <div id="main">{user || !needsSignIn(route) ? <Screen route={route} /> : null}</div>
    </AppContext.Provider>
  );
}

function Header({ user, onSignOut }: { user: User | undefined; onSignOut: () => void }) {
  return (
    <header className="topbar">
      <a href={ROUTE_PATHS.home} className="brand" onClick={follow(ROUTE_PATHS.home)}>
        GoMeet
      </a>
      {user && (
        <nav aria-label="Account">
          <span className="who">{user.displayName}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </nav>
      )}
    </header>
  );
}

/** A click handler for in-app links: history navigation instead of a page load. */
export function follow(to: string) {
  return (event: React.MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case "home":
      return <MeetingsList />;
    case "signin":
    case "signup":
      return <SignInPage mode={route.name} next={route.next} />;
    case "new-meeting":
      return <MeetingForm />;
    case "meeting":
      return <MeetingPage id={route.id} />;
    case "invitation":
      return <InvitationPage code={route.code} />;
    case "join":
      return (
        <Suspense
          fallback={
            <main className="page" aria-busy="true">
              <p>Loading the meeting…</p>
            </main>
          }
        >
          <JoinFlow id={route.id} />
        </Suspense>
      );
    case "not-found":
      return (
        <main className="page">
          <h1>Page not found</h1>
          <p>
            There is nothing at {route.path}.{" "}
            <a href={ROUTE_PATHS.home} onClick={follow(ROUTE_PATHS.home)}>
              Go to your meetings
            </a>
          </p>
        </main>
      );
  }
}
