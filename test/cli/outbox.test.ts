/**
 * `rampart outbox list | retry` and `rampart audit` on the outbox, with the real binary against a SQLite file
 * that an in-process Rampart (the "server") writes to.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { runtimeOf } from "../../src/internal.js";
import { register, registration } from "../../src/features/registration/testing/support.js";
import { TestClient } from "../helpers/client.js";
import { closedPort, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { cliOk, runCli, startServe, tempDir, TEST_SECRET_KEY } from "./helpers.js";

describe("rampart outbox (SQLite file)", () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let sink: SmtpSink;
  const EMAIL = "Refused.Once+cli@Sub.Example-Mail.test";
  /** As stored and mailed: the domain lower-cased, the local part as typed. */
  const STORED = "Refused.Once+cli@sub.example-mail.test";

  const server = (pollIntervalSeconds: number): Promise<Rampart> =>
    createRampart({
      database: env.DATABASE_URL!,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      config: {
        secretKey: TEST_SECRET_KEY,
        baseUrl: "https://app.test",
        registration: { enabled: true },
        confirmation: { enabled: true },
        mail: { server: "127.0.0.1", port: sink.port, timeoutMs: 1000 },
        outbox: { pollIntervalSeconds },
        password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
      } as never,
    });

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    env = { DATABASE_URL: `sqlite://${join(tmp.dir, "outbox.db")}`, SECRET_KEY: TEST_SECRET_KEY };
    sink = await startSmtpSink();
    await cliOk(["migrate"], env);
  });
  after(async () => {
    await sink.close();
    await cleanup();
  });

  it("list shows a refused mail as failed (id, template, recipient, reason), never its body; retry sends it once", async () => {
    const rampart = await server(0);
    sink.failNext(1, 550);
    const r = await register(new TestClient((request) => rampart.fetch(request)), registration(EMAIL));
    assert.equal(r.status, 200, r.body);
    await runtimeOf(rampart).deferred.drain();
    await rampart.close();
    assert.equal(sink.messages.length, 0);

    const failed = await cliOk(["outbox", "list", "--status", "failed"], env);
    // Ids are hex: one typed after `retry` is never taken for an option (a base64url id could start with "-").
    const id = /^([0-9a-f]{16})\s+\S+\s+mail\s+welcome\s+/m.exec(failed)?.[1];
    assert.ok(id, failed);
    assert.ok(failed.includes(STORED), failed);
    assert.match(failed, /failed\s+1\s+.*550/);
    assert.doesNotMatch(failed, /confirm\/|https:/, "no body, no link");
    assert.match(await cliOk(["outbox", "list", "--status", "sent"], env), /^No messages\.$/m);
    assert.match(await cliOk(["audit", "list", "--event", "mail_failed"], env), new RegExp(`"outbox":"${id}"`));

    const bad = await runCli(["outbox", "list", "--status", "lost"], env);
    assert.equal(bad.code, 2);
    const unknown = await runCli(["outbox", "retry", "nope"], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no message nope/);
    assert.doesNotMatch(unknown.stderr, /\n\s+at /, "no stack trace");

    assert.match(await cliOk(["outbox", "retry", id], env), /queued again/);
    assert.match(await cliOk(["outbox", "list", "--status", "pending"], env), new RegExp(`^${id}\\s`, "m"));
    // The server's first poll at start sends it.
    const next = await server(3600);
    await runtimeOf(next).outbox.drain();
    await next.close();
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.envelopeTo, [STORED]);
    assert.match(await cliOk(["outbox", "list", "--status", "sent"], env), new RegExp(`^${id}\\s.*sent\\s+1`, "m"));
    const again = await runCli(["outbox", "retry", id], env);
    assert.equal(again.code, 2, "a sent message has no body left to send");
    assert.match(again.stderr, /is sent and its body is gone/);
  });

  it("a link whose sender stopped mid-delivery: list shows it sending, then unknown (audited), never sent again", async () => {
    sink.clear();
    const email = "Stopped.Mid-Send+cli@Sub.Example-Mail.test";
    const rampart = await server(0);
    await runtimeOf(rampart).outbox.stop();
    const client = new TestClient((request) => rampart.fetch(request));
    assert.equal((await register(client, registration(email))).status, 200);
    const again = await client.post("/confirm", { json: { email }, headers: { "x-csrf-token": await client.csrf() } });
    assert.equal(again.status, 200, again.body);
    await runtimeOf(rampart).deferred.drain();
    const [row] = await rampart.datastore.outbox.list({ limit: 1 });
    assert.equal(row?.template, "confirmation_instructions");
    // A sender took it and was killed before it recorded the outcome; its lease has run out.
    const now = new Date();
    assert.ok(await rampart.datastore.outbox.claim(row.id, now, new Date(now.getTime() - 1000)));
    await rampart.close();
    assert.match(
      await cliOk(["outbox", "list", "--status", "sending"], env),
      new RegExp(`^${row.id}\\s.*confirmation_instructions.*sending\\s+1`, "m"),
    );

    // The next server start settles it: not sent again, marked unknown and audited.
    const next = await server(3600);
    await runtimeOf(next).outbox.drain();
    await next.close();
    const mine = sink.messages.filter((m) => m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase()));
    assert.equal(mine.length, 1, "the welcome mail only");
    const unknown = await cliOk(["outbox", "list", "--status", "unknown"], env);
    assert.match(
      unknown,
      new RegExp(`^${row.id}\\s.*confirmation_instructions.*unknown\\s+1\\s+.*not sent again`, "m"),
    );
    assert.match(await cliOk(["audit", "list", "--event", "mail_unknown"], env), new RegExp(`"outbox":"${row.id}"`));
    // The operator may decide to send it anyway.
    assert.match(await cliOk(["outbox", "retry", row.id], env), /queued again/);
  });
});

describe("rampart serve killed with mail in its outbox (SQLite file)", () => {
  it("SIGKILL while the relay is down; the next `rampart serve` sends the mail once the relay is back", async () => {
    const tmp = await tempDir();
    const port = await closedPort();
    const httpPort = await closedPort();
    const env = {
      RAMPART_BASE_URL: `http://127.0.0.1:${httpPort}`,
      DATABASE_URL: `sqlite://${join(tmp.dir, "killed.db")}`,
      SECRET_KEY: TEST_SECRET_KEY,
      SESSION_COOKIE_SECURE: "false",
      SECURITY_REGISTERABLE: "true",
      MAIL_SERVER: "127.0.0.1",
      MAIL_PORT: String(port),
      RAMPART_MAIL_TIMEOUT_MS: "1000",
      RAMPART_OUTBOX_RETRY_BASE: "1",
      RAMPART_OUTBOX_RETRY_MAX: "2",
      RAMPART_OUTBOX_POLL_INTERVAL: "1",
    };
    const email = "Killed.Server+1@Sub.Example-Mail.test";
    let sink: SmtpSink | null = null;
    try {
      await cliOk(["migrate"], env);
      const first = await startServe(env, ["--port", String(httpPort)]);
      const client = new TestClient((request) => fetch(request), first.url);
      const r = await register(client, registration(email));
      assert.equal(r.status, 200, r.body);
      assert.match(await cliOk(["outbox", "list", "--status", "pending"], env), /welcome/);
      first.child.kill("SIGKILL");
      await first.stop();

      sink = await startSmtpSink({ port });
      const second = await startServe(env, ["--port", String(httpPort)]);
      try {
        const mail = await sink.waitFor((m) => m.envelopeTo.includes("Killed.Server+1@sub.example-mail.test"), 20_000);
        assert.ok(mail);
        await new Promise((resolve) => setTimeout(resolve, 2500)); // two more polls: nothing is sent twice
        assert.equal(sink.messages.length, 1);
      } finally {
        assert.equal(await second.stop(), 0);
      }
      assert.match(await cliOk(["outbox", "list", "--status", "sent"], env), /welcome.*sent/);
    } finally {
      await sink?.close();
      await tmp.cleanup();
    }
  });
});
