import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { RedisSessionStore } from "../../src/datastore/redis-sessions.js";

/**
 * Sessions in a Redis that goes down: a password reset or change committed meanwhile answers success (never a
 * 500), and once Redis is back — with the old sessions still in it — they are refused. A request that needs the
 * session store while it is down gets 503 with Retry-After. The Redis here is the test's own (a loopback port of
 * its own, data in a temporary directory), never the shared one.
 */
const OLD = "correct horse battery";
const NEW = "a completely new passphrase";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** One redis-server of the test's own; stop() saves its data to disk, start() loads it back. */
class OwnRedis {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "rampart-redis-"));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }
  async start(): Promise<void> {
    const proc = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    this.proc = proc;
    // Never leave the server behind, even when the test process is killed mid-way.
    process.once("exit", () => proc.kill("SIGKILL"));
    for (let i = 0; i < 100 && !(await reachable(this.port)); i++) await new Promise((r) => setTimeout(r, 50));
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    for (let i = 0; i < 100; i++) {
      try {
        if (probe.status !== "ready") await probe.connect();
        if ((await probe.ping()) === "PONG") break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  }
  /** Saves the data (so the sessions come back on start) and stops the server. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    const client = new Redis(this.url, { maxRetriesPerRequest: 0 });
    await client.call("SHUTDOWN", "SAVE").catch(() => undefined);
    client.disconnect();
    await exited;
    this.proc = null;
  }
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: a Redis that accepts connections but never answers. */
  freeze(frozen: boolean): void {
    this.proc?.kill(frozen ? "SIGSTOP" : "SIGCONT");
  }
  async dispose(): Promise<void> {
    this.freeze(false);
    if (this.proc) {
      this.proc.kill("SIGKILL");
      this.proc = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("sessions in a Redis that goes down", () => {
  let redis: OwnRedis;
  before(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
  });
  after(() => redis.dispose());

  for (const dialect of flowDialects()) {
    describe(`(${dialect})`, () => {
      let app: TestApp;
      let store: RedisSessionStore;
      let n = 0;
      const seen = new Set<string>();
      before(async () => {
        store = RedisSessionStore.connect(redis.url, {
          prefix: `outage-${randomBytes(4).toString("hex")}:`,
          commandTimeoutMs: 1000,
        });
        app = await createTestApp({
          dialect,
          mail: true,
          sessionStore: store,
          config: { recovery: { enabled: true, autoLoginAfterReset: true }, changePassword: { enabled: true } },
        });
      });
      after(async () => {
        await app.close();
        await store.close().catch(() => undefined);
      });

      const newUser = async () => {
        const email = `Out-${++n}.x+${dialect}@Sub.Mail-Host.test`;
        await app.rampart.api.createUser({ email, password: OLD });
        return email;
      };
      /** After a restart: waits until the app's own Redis connection is back (it reconnects with a backoff). */
      const storeBack = async () => {
        for (let i = 0; i < 100; i++) {
          if (
            await store.findById("none").then(
              () => true,
              () => false,
            )
          )
            return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("Redis connection did not come back");
      };
      const status = async (c: TestClient, headers: Record<string, string> = {}) =>
        (await c.get("/api/protected", { acceptJson: true, headers })).status;
      const requestLink = async (email: string): Promise<string> => {
        const c = app.client();
        const r = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
        assert.equal(r.status, 200, r.body);
        const mail = await app.sink.waitFor(
          (m) => !seen.has(m.raw) && m.envelopeTo.some((a) => a.toLowerCase() === email.toLowerCase()),
        );
        seen.add(mail.raw);
        const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"));
        assert.ok(link, mail.text);
        return new URL(link).pathname;
      };

      it("a reset (JSON and HTML form) committed while Redis is down answers success; the old sessions stay refused once it is back", async () => {
        const jsonUser = await newUser();
        const formUser = await newUser();
        const jsonBrowser = app.client();
        await jsonBrowser.login(jsonUser, OLD);
        const formBrowser = app.client();
        await formBrowser.login(formUser, OLD);
        assert.equal(await status(jsonBrowser), 200);
        const jsonLink = await requestLink(jsonUser);
        const formLink = await requestLink(formUser);
        const formClient = app.client();
        const page = await formClient.get(formLink);
        const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? "";

        await redis.stop();
        try {
          const c = app.client();
          const json = await c.post(jsonLink, {
            json: { password: NEW, password_confirm: NEW },
            headers: { "x-csrf-token": await c.csrf() },
          });
          assert.equal(json.status, 200, json.body);
          assert.equal(
            json.json.response.user,
            undefined,
            "the automatic sign-in needs the session store: nobody is signed in",
          );
          const form = await formClient.post(formLink, {
            form: { password: NEW, password_confirm: NEW, csrf_token: csrf },
          });
          assert.equal(form.status, 302, form.body);
          const down = await jsonBrowser.get("/api/protected", { acceptJson: true });
          assert.equal(down.status, 503, "a request needing the session store while it is down");
          assert.ok(down.headers.get("retry-after"));
          assert.equal(down.json.meta.code, 503);
          const page503 = await formBrowser.get("/api/protected");
          assert.equal(page503.status, 503, "HTML too");
        } finally {
          await redis.start();
        }
        await storeBack();
        assert.equal(await status(jsonBrowser), 401, "the old session is back in Redis but refused");
        assert.equal(await status(formBrowser), 401);
        assert.equal((await app.client().login(jsonUser, NEW)).status, 200, "the new password is in force");
        assert.equal((await app.client().login(formUser, NEW)).status, 200);
      });

      it("a Redis that hangs: the request gets 503 within the command timeout, not a hang", async () => {
        const email = await newUser();
        const browser = app.client();
        await browser.login(email, OLD);
        redis.freeze(true);
        try {
          const started = Date.now();
          const r = await browser.get("/api/protected", { acceptJson: true });
          const took = Date.now() - started;
          assert.equal(r.status, 503);
          assert.ok(r.headers.get("retry-after"));
          assert.ok(took < 5000, `answered in ${took} ms`);
        } finally {
          redis.freeze(false);
        }
        await storeBack();
        assert.equal(await status(browser), 200, "the session works again once Redis answers");
      });

      it("a change committed while Redis is down (token caller, admin API) answers success; old sessions refused once it is back", async () => {
        const email = await newUser();
        const browser = app.client();
        await browser.login(email, OLD);
        const token = (await app.client().login(email, OLD, {}, "?include_auth_token")).json.response.user
          .authentication_token as string;
        const other = await newUser();
        const otherBrowser = app.client();
        await otherBrowser.login(other, OLD);

        await redis.stop();
        try {
          const api = app.client();
          const auth = { "authentication-token": token };
          const csrf = (await api.get("/change", { acceptJson: true, headers: auth })).json.response
            .csrf_token as string;
          const r = await api.post("/change", {
            json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
            headers: { ...auth, "x-csrf-token": csrf },
          });
          assert.equal(r.status, 200, r.body);
          await app.rampart.api.changePassword((await app.rampart.api.findUser(other))!, NEW);
        } finally {
          await redis.start();
        }
        await storeBack();
        assert.equal(await status(browser), 401);
        assert.equal(await status(otherBrowser), 401, "admin change");
        assert.equal((await app.client().login(email, NEW)).status, 200);
      });
    });
  }
});
