import { ApiError, networkError, problemFrom } from "./problems.ts";

export interface User {
  id: string;
  email: string;
  displayName: string;
}

interface TokenPair {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
}

/**
 * The refresh token lives in this tab's sessionStorage so a reload keeps the person signed in, while the
 * access token stays in memory only. Refresh tokens are single-use and a reuse ends the whole session
 * (docs/services/auth.md), so a tab must never share its refresh token with another tab: sessionStorage is
 * per tab, localStorage would not be.
 */
const REFRESH_KEY = "gomeet.refreshToken";
/** Refresh this long before the access token expires, so a request never carries an expired token. */
const REFRESH_MARGIN_MS = 30_000;

export type SessionListener = (user: User | undefined, reason?: string) => void;

export class AuthSession {
  private accessToken: string | undefined;
  private accessExpiresAt = 0;
  private refreshing: Promise<void> | undefined;
  private listeners = new Set<SessionListener>();
  user: User | undefined;

  constructor(readonly authUrl: string) {}

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(reason?: string): void {
    for (const listener of this.listeners) listener(this.user, reason);
  }

  private async post(path: string, json: unknown, token?: string): Promise<Response> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetch(`${this.authUrl}${path}`, { method: "POST", headers, body: JSON.stringify(json) });
    } catch {
      throw networkError();
    }
  }

  private store(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    this.accessExpiresAt = Date.now() + pair.expiresIn * 1000;
    sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
  }

  private clear(): void {
    this.accessToken = undefined;
    this.accessExpiresAt = 0;
    this.user = undefined;
    sessionStorage.removeItem(REFRESH_KEY);
  }

  async signIn(email: string, password: string): Promise<User> {
    const response = await this.post("/v1/auth/login", { email, password });
    if (!response.ok) throw await problemFrom(response);
    this.store((await response.json()) as TokenPair);
    return await this.loadUser();
  }

  /** Registration always answers 202 (no account enumeration), so success is proven by signing in. */
  async signUp(email: string, displayName: string, password: string): Promise<User> {
    const response = await this.post("/v1/auth/register", { email, displayName, password });
    if (!response.ok) throw await problemFrom(response);
    return await this.signIn(email, password);
  }

  /** Signs back in from this tab's refresh token after a reload; undefined when there is none or it ended. */
  async restore(): Promise<User | undefined> {
    if (!sessionStorage.getItem(REFRESH_KEY)) return undefined;
    try {
      await this.refresh();
      return await this.loadUser();
    } catch (error) {
      if (error instanceof ApiError && error.status === 0) throw error;
      this.clear();
      return undefined;
    }
  }

  private async loadUser(): Promise<User> {
    const response = await this.authorizedFetch(`${this.authUrl}/v1/users/me`, { method: "GET" });
    if (!response.ok) throw await problemFrom(response);
    this.user = (await response.json()) as User;
    this.emit();
    return this.user;
  }

  /** One refresh at a time: concurrent callers share it, since presenting a used token ends the session. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const refreshToken = sessionStorage.getItem(REFRESH_KEY);
      if (!refreshToken) throw new ApiError(401, "invalid_refresh_token", "no session");
      const response = await this.post("/v1/auth/refresh", { refreshToken });
      if (!response.ok) {
        const problem = await problemFrom(response);
        if (response.status === 401 || response.status === 403) this.expire(problem.message);
        throw problem;
      }
      this.store((await response.json()) as TokenPair);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private expire(reason: string): void {
    const wasSignedIn = this.user !== undefined;
    this.clear();
    if (wasSignedIn) this.emit(reason);
  }

  /** A valid access token, refreshed (rotating the refresh token) shortly before it expires. */
  async token(): Promise<string> {
    if (!this.accessToken || Date.now() > this.accessExpiresAt - REFRESH_MARGIN_MS) await this.refresh();
    return this.accessToken!;
  }

  /** fetch with the bearer token; a 401 (session ended elsewhere, key rotated) gets one refresh and retry. */
  async authorizedFetch(url: string, init: RequestInit): Promise<Response> {
    const send = async (token: string) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      headers.set("accept", "application/json");
      try {
        return await fetch(url, { ...init, headers });
      } catch {
        throw networkError();
      }
    };
    const first = await send(await this.token());
    if (first.status !== 401) return first;
    await this.refresh();
    return await send(this.accessToken!);
  }

  async signOut(): Promise<void> {
    const token = this.accessToken;
    if (token) await this.post("/v1/auth/logout", {}, token).catch(() => undefined);
    this.clear();
    this.emit("You signed out.");
  }
}

/** JSON in, JSON out, problem+json turned into an ApiError with a sentence a person understands. */
export async function callApi<T>(
  session: AuthSession,
  baseUrl: string,
  method: string,
  path: string,
  json?: unknown,
): Promise<T> {
  const init: RequestInit = { method };
  if (json !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(json);
  }
  const response = await session.authorizedFetch(`${baseUrl}${path}`, init);
  if (!response.ok) throw await problemFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
