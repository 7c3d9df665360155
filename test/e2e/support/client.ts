import { randomBytes } from "node:crypto";
import { WebSocket } from "ws";

/** One HTTP exchange, kept whole so a failed expectation can print exactly what was sent and answered. */
export interface Exchange {
  request: string;
  status: number;
  headers: Headers;
  body: unknown;
}

export function describeExchange(exchange: Exchange): string {
  return `${exchange.request} → ${exchange.status} ${JSON.stringify(exchange.body)}`;
}

/** Calls a service over HTTP as a client would: JSON in, JSON (or problem+json) out, bearer token optional. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(30_000),
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the report
  }
  const sent = options.json === undefined ? "" : ` ${JSON.stringify(options.json)}`;
  return { request: `${method} ${path}${sent}`, status: response.status, headers: response.headers, body };
}

/** Throws with the whole exchange unless the status is the expected one; returns the body. */
export function expectStatus<T>(exchange: Exchange, status: number): T {
  if (exchange.status !== status) {
    throw new Error(`expected ${status}: ${describeExchange(exchange)}`);
  }
  return exchange.body as T;
}

export interface SignedInUser {
  id: string;
  email: string;
  displayName: string;
  accessToken: string;
}

/** Registers at auth (202, whatever the email), logs in for a token pair, and reads its own id from /users/me. */
export async function registerAndLogIn(authUrl: string, displayName: string): Promise<SignedInUser> {
  const email = `${displayName.toLowerCase().replace(/\W+/g, ".")}.${randomBytes(4).toString("hex")}@example.com`;
  const password = `${randomBytes(12).toString("base64url")} correct horse`;
  expectStatus(
    await call(authUrl, "POST", "/v1/auth/register", { json: { email, displayName, password } }),
    202,
  );
  const pair = expectStatus<{ tokenType: string; accessToken: string }>(
    await call(authUrl, "POST", "/v1/auth/login", { json: { email, password } }),
    200,
  );
  const me = expectStatus<{ id: string; email: string; displayName: string }>(
    await call(authUrl, "GET", "/v1/users/me", { token: pair.accessToken }),
    200,
  );
  return { id: me.id, email, displayName: me.displayName, accessToken: pair.accessToken };
}

export type ChatFrame = { type: string; [key: string]: unknown };

/** The outcome of an upgrade chat refused: the HTTP status and the problem code it names in X-Chat-Refusal. */
export interface UpgradeRefusal {
  status: number;
  refusal: string | undefined;
}

/** A chat participant over a real WebSocket, recording every frame it receives. */
export class ChatSocket {
  readonly frames: ChatFrame[] = [];
  private readonly wakers: (() => void)[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as ChatFrame);
      for (const wake of this.wakers.splice(0)) wake();
    });
    socket.on("close", () => {
      for (const wake of this.wakers.splice(0)) wake();
    });
  }

  /** Opens the socket, or resolves with the refusal when chat answers the upgrade with an HTTP status. */
  static async open(url: string, origin: string): Promise<ChatSocket | UpgradeRefusal> {
    const socket = new WebSocket(url, { origin, perMessageDeflate: false, handshakeTimeout: 10_000 });
    return await new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new ChatSocket(socket)));
      socket.once("unexpected-response", (_request, response) => {
        resolve({ status: response.statusCode ?? 0, refusal: response.headers["x-chat-refusal"] as string });
        socket.terminate();
      });
      socket.once("error", reject);
    });
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ v: 1, ...frame }));
  }

  /** Resolves with the first frame (already received or still to come) that matches, within `timeoutMs`. */
  async waitFor(what: string, match: (frame: ChatFrame) => boolean, timeoutMs = 10_000): Promise<ChatFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`socket closed before ${what}; frames: ${JSON.stringify(this.frames)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${what} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.wakers.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        done();
      }, 5_000);
      this.socket.once("close", () => {
        clearTimeout(timer);
        done();
      });
      this.socket.close(1000);
    });
  }
}
