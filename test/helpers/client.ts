/**
 * A test client that behaves like a browser/SPA toward Rampart: keeps a cookie jar (honouring Max-Age=0
 * deletion), sends JSON or forms, and reads the JSON envelope. Works with an in-process `fetch` or real HTTP.
 */
export type Fetcher = (request: Request) => Promise<Response>;

export interface Reply {
  status: number;
  headers: Headers;
  body: string;
  /** Parsed JSON envelope (throws when the body is not JSON). */
  json: { meta: { code: number }; response: Record<string, any> };
  location: string | null;
  setCookies: string[];
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Ask for JSON without a body (Accept: application/json). */
  acceptJson?: boolean;
  rawBody?: BodyInit;
}

export class TestClient {
  readonly jar = new Map<string, string>();
  constructor(
    private readonly fetcher: Fetcher,
    readonly base = "https://app.test",
  ) {}

  cookieHeader(): string {
    return [...this.jar.entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers = new Headers(options.headers ?? {});
    let body: BodyInit | undefined = options.rawBody;
    if (options.json !== undefined) {
      headers.set("content-type", "application/json");
      body = typeof options.json === "string" ? options.json : JSON.stringify(options.json);
    } else if (options.form) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(options.form).toString();
    }
    if (options.acceptJson) headers.set("accept", "application/json");
    if (this.jar.size && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const init = { method, headers, body, redirect: "manual", duplex: "half" } as RequestInit;
    const response = await this.fetcher(new Request(new URL(path, this.base), init));
    const setCookies = response.headers.getSetCookie();
    for (const c of setCookies) this.store(c);
    const text = await response.text();
    let parsed: Reply["json"] | undefined;
    return {
      status: response.status,
      headers: response.headers,
      body: text,
      get json() {
        parsed ??= JSON.parse(text) as Reply["json"];
        return parsed;
      },
      location: response.headers.get("location"),
      setCookies,
    };
  }

  private store(setCookie: string): void {
    const [pair, ...attrs] = setCookie.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
    if (expired || value === "") this.jar.delete(name);
    else this.jar.set(name, value);
  }

  get(path: string, options?: RequestOptions) {
    return this.request("GET", path, options);
  }
  post(path: string, options?: RequestOptions) {
    return this.request("POST", path, options);
  }

  /** GET /login as JSON and return the CSRF token. */
  async csrf(prefix = ""): Promise<string> {
    const r = await this.get(`${prefix}/login`, { acceptJson: true });
    return r.json.response.csrf_token as string;
  }

  /** JSON login with CSRF, as an SPA does. */
  async login(email: string, password: string, extra: Record<string, unknown> = {}, query = ""): Promise<Reply> {
    const csrf = await this.csrf();
    return this.post(`/login${query}`, { json: { email, password, ...extra }, headers: { "x-csrf-token": csrf } });
  }
}
