import { type FormEvent, useEffect, useState } from "react";
import { follow } from "../App.tsx";
import { messageOf } from "../api/problems.ts";
import { useApp } from "../app-context.ts";
import { navigate } from "../router.ts";
import { ROUTE_PATHS } from "../routes.ts";

export function SignInPage({ mode, next }: { mode: "signin" | "signup"; next: string | undefined }) {
  const { session, user } = useApp();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const signingUp = mode === "signup";
  const suffix = next ? `?next=${encodeURIComponent(next)}` : "";

  useEffect(() => {
    if (user) navigate(next ?? ROUTE_PATHS.home, { replace: true });
  }, [user, next]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(undefined);
    try {
      if (signingUp) await session.signUp(email, String(form.get("displayName") ?? "").trim(), password);
      else await session.signIn(email, password);
    } catch (failure) {
      setError(
        signingUp && messageOf(failure).startsWith("That email and password")
          ? "The account could not be created: this email may already be registered. Try signing in."
          : messageOf(failure),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>{signingUp ? "Create your GoMeet account" : "Sign in to GoMeet"}</h1>
      <form onSubmit={submit} className="stack" aria-describedby={error ? "auth-error" : undefined}>
        {signingUp && (
          <label>
            Your name
            <input name="displayName" autoComplete="name" required maxLength={100} />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={signingUp ? "new-password" : "current-password"}
            required
            minLength={signingUp ? 8 : 1}
          />
        </label>
        {signingUp && <p className="hint">At least 8 characters.</p>}
        {error && (
          <p id="auth-error" role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : signingUp ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        {signingUp ? "Already have an account? " : "New to GoMeet? "}
        <a
          href={`/${signingUp ? "signin" : "signup"}${suffix}`}
          onClick={follow(`/${signingUp ? "signin" : "signup"}${suffix}`)}
        >
          {signingUp ? "Sign in" : "Create an account"}
        </a>
      </p>
    </main>
  );
}
