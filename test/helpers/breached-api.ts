/**
 * A real HTTP server on 127.0.0.1 speaking the Pwned Passwords k-anonymity range API, for testing the
 * breached-password check without the internet.
 *
 *   const api = await new FakeBreachedApi([{ password: "hunter2hunter2", count: 42 }]).start();
 *   config.password.breachedApiBaseUrl = api.url;
 *   ...; api.requests   // ["A1B2C"]: what came after /range/ (or the whole path for anything else)
 *   api.mode = "500";   // "ok" | "500" | "garbage" | "hang"
 *   await api.close();
 *
 * GET /range/XXXXX answers `SUFFIX:COUNT` lines (CRLF-separated, like the real API) for the breached
 * passwords under that prefix, plus PADDING_LINES decoy lines with count 0.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type BreachedApiMode = "ok" | "500" | "garbage" | "hang";

export interface BreachedEntry {
  /** Hashed as given (UTF-8 SHA-1): pass the normalized form the client will hash. */
  password: string;
  count: number;
}

export interface RunningBreachedApi {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as password.breachedApiBaseUrl). */
  url: string;
  /** One entry per request: the text after "/range/", or the whole request target otherwise. */
  requests: string[];
  /** Request headers, aligned with `requests`. */
  headers: IncomingHttpHeaders[];
  /** How the next requests are answered; change it at any time. */
  mode: BreachedApiMode;
  close(): Promise<void>;
}

const PADDING_LINES = 8;

function sha1(s: string): string {
  return createHash("sha1").update(s, "utf8").digest("hex").toUpperCase();
}

export class FakeBreachedApi {
  /** prefix → suffix → count */
  private readonly byPrefix = new Map<string, Map<string, number>>();

  constructor(entries: readonly BreachedEntry[] = []) {
    for (const { password, count } of entries) this.add(password, count);
  }

  /** Adds (or updates) a breached password; also works while the server runs. */
  add(password: string, count: number): this {
    const hash = sha1(password);
    const prefix = hash.slice(0, 5);
    let suffixes = this.byPrefix.get(prefix);
    if (!suffixes) this.byPrefix.set(prefix, (suffixes = new Map()));
    suffixes.set(hash.slice(5), count);
    return this;
  }

  private rangeBody(prefix: string): string {
    const lines = [...(this.byPrefix.get(prefix) ?? new Map<string, number>())].map(([s, c]) => `${s}:${c}`);
    for (let i = 0; i < PADDING_LINES; i++) lines.push(`${sha1(`padding:${prefix}:${i}`).slice(5)}:0`);
    return lines.sort().join("\r\n");
  }

  async start(): Promise<RunningBreachedApi> {
    const api: RunningBreachedApi = {
      url: "",
      requests: [],
      headers: [],
      mode: "ok",
      close: () => close(server),
    };
    const server: Server = createServer((req, res) => {
      const target = req.url ?? "";
      api.requests.push(target.startsWith("/range/") ? target.slice("/range/".length) : target);
      api.headers.push(req.headers);
      if (api.mode === "hang") return; // never answer; close() drops the socket
      if (api.mode === "500") {
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
        return;
      }
      if (api.mode === "garbage") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Service Unavailable</body></html>");
        return;
      }
      const m = /^\/range\/([0-9A-Fa-f]{5})$/.exec(target);
      if (req.method !== "GET" || !m) {
        res.writeHead(400, { "content-type": "text/plain" }).end("The hash prefix was not in a valid format");
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end(this.rangeBody(m[1]!.toUpperCase()));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    api.url = `http://127.0.0.1:${port}`;
    return api;
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
