/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) speaking Twilio's Messages endpoint, for testing SMS
 * delivery without the internet.
 *
 *   const gw = await startSmsGateway({ accountSid: "AC123", authToken: "tok" });
 *   config.sms.twilioBaseUrl = gw.url;   // or RAMPART_SMS_TWILIO_BASE_URL
 *   await gw.waitFor((m) => m.to === "+16505551212");   // { to, from, body }
 *   gw.mode = "400";   // "ok" | "400" | "500" | "hang"
 *   await gw.close();
 *
 * POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth sid:token and a form body To, From, Body
 * answers 201 with a JSON message resource (`sid`, `status: "queued"`, …). Wrong credentials → 401 (Twilio
 * error 20003), other paths → 404, missing fields → 400 (21604/21603/21602), as Twilio does.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type SmsGatewayMode = "ok" | "400" | "500" | "hang";

export interface SmsGatewayCredentials {
  accountSid: string;
  authToken: string;
}

export interface GatewaySms {
  to: string;
  from: string;
  body: string;
  /** The sid the gateway answered with. */
  sid: string;
}

export interface GatewayRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw request body. */
  body: string;
}

export interface SmsGateway {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as sms.twilioBaseUrl). */
  url: string;
  /** Every accepted message, in order. */
  messages: GatewaySms[];
  /** Every request that reached the server, accepted or not. */
  requests: GatewayRequest[];
  /** How the next requests are answered; change it at any time. */
  mode: SmsGatewayMode;
  /** Resolves with the first message (already received or arriving) matching; rejects after timeoutMs. */
  waitFor(predicate: (sms: GatewaySms) => boolean, timeoutMs?: number): Promise<GatewaySms>;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function authorized(header: string | undefined, credentials: SmsGatewayCredentials): boolean {
  if (!header?.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
  return decoded === `${credentials.accountSid}:${credentials.authToken}`;
}

export async function startSmsGateway(credentials: SmsGatewayCredentials): Promise<SmsGateway> {
  const waiters = new Set<(sms: GatewaySms) => void>();
  const messagesPath = `/2010-04-01/Accounts/${encodeURIComponent(credentials.accountSid)}/Messages.json`;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "";
      gateway.requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      if (gateway.mode === "hang") return; // never answer; close() drops the socket
      if (!authorized(req.headers.authorization, credentials)) {
        res.setHeader("www-authenticate", 'Basic realm="Twilio API"');
        return twilioError(res, 401, 20003, "Authentication Error - invalid username");
      }
      if (req.method !== "POST" || path !== messagesPath)
        return twilioError(res, 404, 20404, "The requested resource was not found");
      if (gateway.mode === "500") return twilioError(res, 500, 20500, "Internal Server Error");
      const form = new URLSearchParams(body);
      const to = form.get("To") ?? "";
      const from = form.get("From") ?? "";
      const text = form.get("Body") ?? "";
      if (gateway.mode === "400")
        return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
      if (!from) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
      if (!text) return twilioError(res, 400, 21602, "Message body is required.");
      const sid = `SM${randomBytes(16).toString("hex")}`;
      const sms: GatewaySms = { to, from, body: text, sid };
      gateway.messages.push(sms);
      for (const waiter of [...waiters]) waiter(sms);
      const now = new Date().toUTCString();
      json(res, 201, {
        sid,
        account_sid: credentials.accountSid,
        to,
        from,
        body: text,
        status: "queued",
        direction: "outbound-api",
        num_segments: "1",
        date_created: now,
        date_updated: now,
        api_version: "2010-04-01",
        uri: `${messagesPath.replace(/\.json$/, "")}/${sid}.json`,
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const gateway: SmsGateway = {
    url: `http://127.0.0.1:${port}`,
    messages: [],
    requests: [],
    mode: "ok",
    waitFor(predicate, timeoutMs = 5000) {
      const found = gateway.messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching SMS within ${timeoutMs} ms (got ${gateway.messages.length})`));
        }, timeoutMs);
        const waiter = (sms: GatewaySms) => {
          if (!predicate(sms)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(sms);
        };
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return gateway;
}

/** Alias: `start(credentials)`. */
export const start = startSmsGateway;
