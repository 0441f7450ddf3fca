import assert from "node:assert/strict";
import { serve, type ServerType } from "@hono/node-server";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { demoApp } from "../../src/server/demo-app.js";
import { TEST_SECRET } from "./app.js";
import { createIsolatedDatastore } from "./databases.js";

/** A cookieless API client (a mobile app, a service) over real HTTP, and Rampart instances served for it. */
export const PASSWORD = "correct horse battery";

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
  json: any;
}

/** A cookieless client of one server: every request is built from scratch, nothing is kept between them. */
export function apiClient(base: string) {
  const call = async (
    method: string,
    path: string,
    options: { bearer?: string; json?: unknown } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(new URL(path, base), {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      redirect: "manual",
    });
    const body = await r.text();
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, body, json };
  };
  return {
    call,
    async signIn(email: string): Promise<{ access: string; refresh: string }> {
      const r = await call("POST", "/login?include_auth_token", { json: { email, password: PASSWORD } });
      assert.equal(r.status, 200, r.body);
      const user = r.json.response.user;
      assert.ok(user.authentication_token && user.refresh_token, r.body);
      return { access: user.authentication_token, refresh: user.refresh_token };
    },
    refresh: (refresh: string, bearer?: string) =>
      call("POST", "/refresh-token", { json: { refresh_token: refresh }, ...(bearer ? { bearer } : {}) }),
    /** Status of the guarded demo route (any signed-in caller) with this access token. */
    protectedStatus: async (access: string) => (await call("GET", "/api/protected", { bearer: access })).status,
  };
}

/** The reason of a refused refresh, asserting the contract's error shape. */
export function refreshReason(r: Answer): string {
  assert.equal(r.status, 400, r.body);
  assert.deepEqual(r.json.response.error_codes, ["REFRESH_TOKEN_INVALID"], r.body);
  const m = /^Refresh token is invalid \((\w+)\)$/.exec(r.json.response.field_errors.refresh_token[0] as string);
  assert.ok(m, r.body);
  return m[1]!;
}

/** The payload of Rampart's opaque access token (base64url JSON before the signature). */
export function opaquePayload(token: string): { exp: number; fam?: string; uid: string } {
  return JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8"));
}

/** Rampart instances on one isolated database, each served on loopback with the demo routes. */
export function servedInstances(dialect: "sqlite" | "postgres" | "mysql") {
  let datastore: Awaited<ReturnType<typeof createIsolatedDatastore>> | undefined;
  const instances: Rampart[] = [];
  const servers: ServerType[] = [];
  const clock = { offsetMs: 0 };
  return {
    clock,
    async start(config: RampartConfigInput): Promise<{ rampart: Rampart; base: string }> {
      datastore ??= await createIsolatedDatastore(dialect);
      const rampart = await createRampart({
        database: datastore.datastore,
        clock: () => new Date(Date.now() + clock.offsetMs),
        logger: { info() {}, warn() {}, error() {} },
        outboxSender: false,
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          clock: { checkIntervalSeconds: 0 },
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          ...config,
        },
      });
      instances.push(rampart);
      const app = demoApp(rampart);
      const base = await new Promise<string>((resolve) => {
        servers.push(
          serve({ fetch: app, port: 0, hostname: "127.0.0.1" }, (info) => resolve(`http://127.0.0.1:${info.port}`)),
        );
      });
      return { rampart, base };
    },
    async close() {
      for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
      for (const r of instances) await r.close().catch(() => undefined);
      await datastore?.cleanup();
    },
  };
}

let n = 0;
/** A user with an address a stranger would use (dots, plus, dashes, sub-domain, upper case). */
export async function newUser(rampart: Rampart, prefix: string): Promise<string> {
  const email = `${prefix}+${++n}-${Date.now() % 100000}@Sub.Example-Host.test`;
  await rampart.api.createUser({ email, password: PASSWORD });
  return email;
}
