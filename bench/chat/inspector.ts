/**
 * A DevTools protocol session into a server process started with `--inspect=127.0.0.1:<port>`: the bench forces
 * a full GC and reads `process.memoryUsage()` there without any hook in the server's own code.
 */
import { WebSocket } from "ws";

export interface MemorySample {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message.error ? { error: message.error } : message.result);
      this.pending.delete(message.id);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
          webSocketDebuggerUrl: string;
        }>;
        const url = targets[0]?.webSocketDebuggerUrl;
        if (!url) throw new Error("no inspector target");
        const socket = new WebSocket(url, { perMessageDeflate: false });
        await new Promise<void>((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
        });
        return new Inspector(socket);
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`inspector on port ${port} did not answer: ${String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private call(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections (the second frees what the first's finalizers released), then the process's memory. */
  async collectAndMeasure(): Promise<MemorySample> {
    const answer = (await this.call("Runtime.evaluate", {
      expression: "gc(); gc(); JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result?: { value?: string }; error?: unknown; exceptionDetails?: unknown };
    const value = answer.result?.value;
    if (typeof value !== "string")
      throw new Error(`memory sample failed: ${JSON.stringify(answer.exceptionDetails ?? answer.error)}`);
    return JSON.parse(value) as MemorySample;
  }

  close(): void {
    this.socket.close();
  }
}
