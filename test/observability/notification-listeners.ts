import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";

export interface RecordedWebhook {
  path: string;
  body: unknown;
}

export interface RecordedEmail {
  from: string;
  to: string[];
  data: string;
}

interface Listener<T> {
  port: number;
  received: T[];
  close(): Promise<void>;
}

/** An HTTP server on loopback that answers 200 to every POST and keeps its path and JSON body. */
export async function startWebhookRecorder(): Promise<Listener<RecordedWebhook>> {
  const received: RecordedWebhook[] = [];
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: a non-JSON body is itself something the test should see.
      }
      received.push({ path: request.url ?? "", body });
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("webhook recorder has no TCP address");
  return {
    port: address.port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A minimal SMTP relay (RFC 5321 command subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on loopback.
 * It advertises neither STARTTLS nor AUTH, which is what a relay inside the test machine looks like; the
 * Alertmanager config under test sets require_tls: false only for such a loopback smarthost.
 */
export async function startSmtpRecorder(): Promise<Listener<RecordedEmail>> {
  const received: RecordedEmail[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = "";
    let inData = false;
    let envelope: RecordedEmail = { from: "", to: [], data: "" };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply("220 relay.test ESMTP");
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let end = buffer.indexOf("\r\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            received.push(envelope);
            envelope = { from: "", to: [], data: "" };
            reply("250 2.0.0 queued");
          } else {
            envelope.data += `${line.startsWith("..") ? line.slice(1) : line}\n`;
          }
        } else {
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === "EHLO" || verb === "HELO") {
            reply("250-relay.test");
            reply("250 8BITMIME");
          } else if (verb === "MAIL") {
            envelope.from = line.replace(/^MAIL FROM:\s*<?([^>\s]*)>?.*$/i, "$1");
            reply("250 2.1.0 ok");
          } else if (verb === "RCPT") {
            envelope.to.push(line.replace(/^RCPT TO:\s*<?([^>\s]*)>?.*$/i, "$1"));
            reply("250 2.1.5 ok");
          } else if (verb === "DATA") {
            inData = true;
            reply("354 end data with <CR><LF>.<CR><LF>");
          } else if (verb === "RSET" || verb === "NOOP") {
            reply("250 2.0.0 ok");
          } else if (verb === "QUIT") {
            reply("221 2.0.0 bye");
            socket.end();
          } else {
            reply("502 5.5.2 command not implemented");
          }
        }
        end = buffer.indexOf("\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("SMTP recorder has no TCP address");
  return {
    port: address.port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
