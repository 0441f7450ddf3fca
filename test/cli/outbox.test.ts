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
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { cliOk, runCli, tempDir, TEST_SECRET_KEY } from "./helpers.js";

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
    const id = /^(\S{16})\s+\S+\s+mail\s+welcome\s+/m.exec(failed)?.[1];
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
});
