import { useEffect, useState } from "react";
import { follow } from "../App.tsx";
import { messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { navigate } from "../router.ts";
import { joinPath, ROUTE_PATHS } from "../routes.ts";

/** `/j?code=<code>`: accept the invitation (becoming a member) and go straight on to joining. */
export function InvitationPage({ code }: { code: string }) {
  const { meetings } = useApp();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    meetings.accept(code).then(
      (meeting) => navigate(joinPath(meeting.id), { replace: true }),
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, [meetings, code]);

  return (
    <main className="page narrow">
      <h1>Invitation</h1>
      {error ? (
        <>
          <p role="alert" className="error">
            {error}
          </p>
          <a href={ROUTE_PATHS.home} onClick={follow(ROUTE_PATHS.home)}>
            Go to your meetings
          </a>
        </>
      ) : (
        <p aria-busy="true">Opening the meeting…</p>
      )}
    </main>
  );
}
