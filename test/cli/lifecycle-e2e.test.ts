/**
 * Issue 3 "done means", through the real `rampart serve` configured only by environment (Flask-Security names),
 * with mail really sent over SMTP to a loopback server: register → confirmation mail → confirm → log in →
 * change password → forgot → reset mail → reset → change email → confirm new address → log in with it.
 * On SQLite, PostgreSQL and MariaDB.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl, testServerUrl } from "../helpers/databases.js";
import { linksIn, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { cliOk, startServe, tempDir, TEST_SECRET_KEY } from "./helpers.js";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

async function mailTo(sink: SmtpSink, to: string, subject: RegExp) {
  return sink.waitFor((m) => m.envelopeTo.includes(to) && subject.test(m.subject), 10_000);
}

const dialects: ("sqlite" | "postgres" | "mysql")[] = ["sqlite"];
for (const d of ["postgres", "mysql"] as const) {
  if (testServerUrl(d)) dialects.push(d);
  else if (process.env.CI) throw new Error(`CI run without ${d}: the lifecycle e2e test must run there`);
}

for (const dialect of dialects) {
  describe(`account lifecycle through rampart serve (${dialect})`, () => {
    it("register, confirm, log in, change password, reset it, change email — JSON over HTTP with real mail", async () => {
      const tmp = await tempDir();
      const db =
        dialect === "sqlite"
          ? { url: `sqlite://${join(tmp.dir, "e2e.db")}`, cleanup: async () => undefined }
          : await isolatedDatabaseUrl(dialect);
      const sink = await startSmtpSink();
      const port = await freePort();
      const env = {
        DATABASE_URL: db.url,
        SECRET_KEY: TEST_SECRET_KEY,
        SESSION_COOKIE_SECURE: "false",
        RAMPART_BASE_URL: `http://127.0.0.1:${port}`,
        MAIL_SERVER: "127.0.0.1",
        MAIL_PORT: String(sink.port),
        SECURITY_EMAIL_SENDER: "Rampart <no-reply@app.test>",
        SECURITY_REGISTERABLE: "true",
        SECURITY_CONFIRMABLE: "true",
        SECURITY_RECOVERABLE: "true",
        SECURITY_CHANGEABLE: "true",
        SECURITY_CHANGE_EMAIL: "true",
      };
      let server: Awaited<ReturnType<typeof startServe>> | undefined;
      try {
        await cliOk(["migrate"], env);
        server = await startServe(env, ["--port", String(port)]);
        const c = new TestClient((r) => fetch(r), server.url);
        const csrf = await c.csrf();
        const reg = await c.post("/register", {
          json: { email: "Dana@Example.com", password: "first password 1", password_confirm: "first password 1" },
          headers: { "x-csrf-token": csrf },
        });
        assert.equal(reg.status, 200, reg.body);
        assert.equal((await c.login("dana@example.com", "first password 1")).status, 400, "unconfirmed cannot log in");

        const welcome = await mailTo(sink, "Dana@example.com", /Welcome/);
        assert.equal(welcome.from.includes("no-reply@app.test"), true);
        const confirmLink = linksIn(welcome).find((l) => l.includes("/confirm/"))!;
        assert.ok(confirmLink.startsWith(`http://127.0.0.1:${port}/confirm/`), confirmLink);
        assert.equal((await c.get(pathOf(confirmLink))).status, 302);

        const login = await c.login("dana@example.com", "first password 1");
        assert.equal(login.status, 200, login.body);
        const change = await c.post("/change", {
          json: {
            password: "first password 1",
            new_password: "second password 2",
            new_password_confirm: "second password 2",
          },
          headers: { "x-csrf-token": login.json.response.csrf_token },
        });
        assert.equal(change.status, 200, change.body);
        await mailTo(sink, "Dana@example.com", /password has been changed/i);

        const anon = new TestClient((r) => fetch(r), server.url);
        const forgot = await anon.post("/reset", {
          json: { email: "dana@example.com" },
          headers: { "x-csrf-token": await anon.csrf() },
        });
        assert.equal(forgot.status, 200, forgot.body);
        const resetMail = await mailTo(sink, "Dana@example.com", /reset instructions/i);
        const resetLink = linksIn(resetMail).find((l) => l.includes("/reset/"))!;
        const reset = await anon.post(pathOf(resetLink), {
          json: { password: "third password 3", password_confirm: "third password 3" },
          headers: { "x-csrf-token": await anon.csrf() },
        });
        assert.equal(reset.status, 200, reset.body);
        assert.equal(
          (await c.get("/api/protected", { acceptJson: true })).status,
          401,
          "the reset ended the old session",
        );

        const again = await c.login("dana@example.com", "third password 3");
        assert.equal(again.status, 200, again.body);
        const ce = await c.post("/change-email", {
          json: { email: "dana.new@example.com" },
          headers: { "x-csrf-token": again.json.response.csrf_token },
        });
        assert.equal(ce.status, 200, ce.body);
        const ceMail = await mailTo(sink, "dana.new@example.com", /Confirm your new email/i);
        assert.equal((await c.get(pathOf(linksIn(ceMail).find((l) => l.includes("/change-email/"))!))).status, 302);
        assert.equal(
          (await new TestClient((r) => fetch(r), server.url).login("dana.new@example.com", "third password 3")).status,
          200,
        );
        assert.equal(
          (await new TestClient((r) => fetch(r), server.url).login("dana@example.com", "third password 3")).status,
          400,
        );
      } finally {
        await server?.stop();
        await sink.close();
        await db.cleanup();
        await tmp.cleanup();
      }
    });
  });
}
