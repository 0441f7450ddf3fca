import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";
import { simpleParser, type AddressObject } from "mailparser";
import { createServer, type AddressInfo, type Socket } from "node:net";

/**
 * A real SMTP server on 127.0.0.1 (ephemeral port) for tests: no TLS, AUTH only when asked for, every
 * message parsed with mailparser. `failNext` makes the next transactions fail to exercise send errors.
 */

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Map<string, unknown>;
  /** The message exactly as received (headers and body). */
  raw: string;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  /** Resolves with the first message (already received or arriving) matching; rejects after timeoutMs. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  clear(): void;
  close(): Promise<void>;
  /** The next `count` transactions are refused with `code` (default 550) at RCPT, or at DATA when asked. */
  failNext(count: number, code?: number, stage?: "rcpt" | "data"): void;
  /** A slow relay: every message is accepted (and recorded) only this many ms after its data arrived. */
  delayMs: number;
}

export interface SmtpSinkOptions {
  /** Listen on this port (e.g. where a relay that was down comes back); default an ephemeral one. */
  port?: number;
  /** Enables AUTH (PLAIN/LOGIN over plain text); the function decides whether the login succeeds. */
  authenticate?(username: string, password: string): boolean;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return "";
  return Array.isArray(value) ? value.map((a) => a.text).join(", ") : value.text;
}

function envelopeAddress(address: SMTPServerAddress | false): string {
  return address ? address.address : "";
}

function refusal(code: number): Error & { responseCode: number } {
  return Object.assign(
    new Error(code >= 500 ? "Mailbox unavailable (test refusal)" : "Try again later (test refusal)"),
    {
      responseCode: code,
    },
  );
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<(mail: ReceivedMail) => void>();
  const failures = { count: 0, code: 550, stage: "rcpt" as "rcpt" | "data" };
  const takeFailure = (stage: "rcpt" | "data"): Error | null => {
    if (failures.count <= 0 || failures.stage !== stage) return null;
    failures.count -= 1;
    return refusal(failures.code);
  };

  const slow = { ms: 0 };
  const server = new SMTPServer({
    disabledCommands: options.authenticate ? ["STARTTLS"] : ["AUTH", "STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      const ok = options.authenticate?.(auth.username ?? "", auth.password ?? "") ?? false;
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(_address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      callback(takeFailure("rcpt"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const failure = takeFailure("data");
        if (failure) return callback(failure);
        const raw = Buffer.concat(chunks);
        if (slow.ms > 0) return void setTimeout(() => accept(raw, session, callback), slow.ms);
        accept(raw, session, callback);
      });
    },
  });

  function accept(raw: Buffer, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    simpleParser(raw).then(
      (parsed) => {
        const mail: ReceivedMail = {
          envelopeFrom: envelopeAddress(session.envelope.mailFrom),
          envelopeTo: session.envelope.rcptTo.map((a) => a.address),
          from: addressText(parsed.from),
          to: addressText(parsed.to),
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          html: parsed.html || "",
          headers: parsed.headers as Map<string, unknown>,
          raw: raw.toString("utf8"),
        };
        messages.push(mail);
        for (const waiter of [...waiters]) waiter(mail);
        callback(null);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const waiter = (mail: ReceivedMail) => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`smtp-sink: no matching message within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
      failures.count = 0;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
    failNext(count, code = 550, stage = "rcpt") {
      if (!(code >= 400 && code < 600)) throw new RangeError("failNext: code must be a 4xx or 5xx reply code");
      Object.assign(failures, { count, code, stage });
    },
    get delayMs() {
      return slow.ms;
    },
    set delayMs(ms: number) {
      slow.ms = ms;
    },
  };
}

/** Same as startSmtpSink (the name the test helpers' callers use). */
export const start = startSmtpSink;

/** Every http(s) URL in the mail's text body, in order. */
export function linksIn(mail: Pick<ReceivedMail, "text">): string[] {
  return [...mail.text.matchAll(/https?:\/\/[^\s<>"'()]+/g)].map((m) => m[0].replace(/[.,;:!?]+$/, ""));
}

/** A port nothing listens on (a relay that is down): taken from the system, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface HungSmtp {
  port: number;
  /** Connections accepted so far (none is ever greeted). */
  connections: number;
  /** Resolves at the first connection. */
  connected: Promise<void>;
  close(): Promise<void>;
}

/** A relay that accepts TCP connections and never says a word (no greeting): a hung SMTP server. */
export async function startHungSmtp(): Promise<HungSmtp> {
  const sockets = new Set<Socket>();
  let onFirst: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (onFirst = resolve));
  const state = { connections: 0 };
  const server = createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    onFirst();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    connected,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
