import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { runtimeOf } from "../../src/internal.js";
import { flowApp, register, registration } from "../../src/features/registration/testing/support.js";
import { createTfApp, loginPending, validate } from "../../src/features/two-factor/testing/kit.js";
import { createTestApp, flowDialects, TEST_SECRET } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl } from "../helpers/databases.js";
import { startSmsGateway } from "../helpers/sms-gateway.js";
import { closedPort, startHungSmtp, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

/**
 * The outbox, seen from outside: mail accepted while the relay is down or hung is answered at once and sent
 * once the relay works, exactly once, also with two instances on one database and after a process stopped
 * between writing a message and sending it. Short retry waits; the clock is moved instead of sleeping.
 */
const OUTBOX = { retryBaseSeconds: 1, retryMaxSeconds: 5, pollIntervalSeconds: 0 };
/** Addresses as strangers type them. */
const address = (i: number) => `New.User-${i}+Tag_${i}@Mail.Sub-Domain.example.test`;

/** Envelope recipients, lower-cased and counted. */
function recipients(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages)
    for (const to of m.envelopeTo) counts.set(to.toLowerCase(), (counts.get(to.toLowerCase()) ?? 0) + 1);
  return counts;
}

for (const dialect of flowDialects()) {
  describe(`outbox: a relay that is down or hung (${dialect})`, () => {
    it("SMTP down during 20 registrations: 20 × 200 and no mail; SMTP back: exactly 20 mails, each once", async () => {
      const port = await closedPort();
      const app = await flowApp({
        dialect,
        mail: false,
        config: { mail: { server: "127.0.0.1", port, timeoutMs: 1000 }, outbox: OUTBOX },
      });
      let sink: SmtpSink | null = null;
      try {
        const replies = await Promise.all(
          Array.from({ length: 20 }, (_, i) => register(app.client(), registration(address(i)))),
        );
        assert.deepEqual(
          replies.map((r) => r.status),
          Array(20).fill(200),
        );
        await app.runtime.deferred.drain();
        const waiting = await app.runtime.datastore.outbox.list({ status: "pending", limit: 100 });
        assert.equal(waiting.length, 20, "every welcome mail is kept");
        for (const row of waiting) {
          assert.match(row.lastError ?? "", /ECONNREFUSED/);
          // The body (its confirmation link) is sealed at rest.
          // Sealed text is base64url, which never holds the ":", "/" and "@" of a link or an address.
          assert.ok(row.payload && !/[:/@]/.test(row.payload), "payload sealed");
        }

        sink = await startSmtpSink({ port });
        app.advance(10);
        await app.runtime.outbox.poll();
        const got = recipients(sink);
        assert.equal(sink.messages.length, 20);
        for (let i = 0; i < 20; i++) assert.equal(got.get(address(i).toLowerCase()), 1, address(i));
        app.advance(3600);
        await app.runtime.outbox.poll();
        assert.equal(sink.messages.length, 20, "nothing sent twice");
        const rows = await app.runtime.datastore.outbox.list({ limit: 100 });
        assert.ok(
          rows.every((r) => r.status === "sent" && r.payload === null),
          "sent, bodies deleted",
        );
        const sent = await app.rampart.api.auditEvents({ event: "mail_sent", limit: 100 });
        assert.equal(sent.length, 20);
        assert.ok(sent.every((e) => typeof e.details?.outbox === "string" && e.details?.template === "welcome"));
        assert.equal((await app.rampart.api.auditEvents({ event: "mail_queued", limit: 100 })).length, 20);
        // After the retention period the rows go; the audit trail stays.
        app.advance(31 * 86_400);
        await app.runtime.outbox.poll();
        assert.equal((await app.runtime.datastore.outbox.list({ limit: 100 })).length, 0);
        assert.equal((await app.rampart.api.auditEvents({ event: "mail_sent", limit: 100 })).length, 20);
      } finally {
        await app.close();
        await sink?.close();
      }
    });

    it("a hung relay (accepts TCP, never greets): registration is answered while it hangs; the mail goes out once it works", async () => {
      const hung = await startHungSmtp();
      const app = await flowApp({
        dialect,
        mail: false,
        config: {
          returnGenericResponses: false,
          mail: { server: "127.0.0.1", port: hung.port, timeoutMs: 1500 },
          outbox: OUTBOX,
        },
      });
      let sink: SmtpSink | null = null;
      try {
        // A client that does not wait for the outbox (the test helper's does).
        const client = new TestClient((request) => app.rampart.fetch(request));
        const email = "Hung.Relay+1@Slow-Mail.example.test";
        const r = await register(client, registration(email));
        assert.equal(r.status, 200, r.body);
        const [row] = await app.runtime.datastore.outbox.list({ limit: 1 });
        assert.equal(row?.status, "pending");
        assert.equal(row?.lastError, null, "answered before the delivery attempt ended");
        await hung.connected;
        // The attempt under way ends at the greeting timeout and is kept for a retry.
        await app.runtime.outbox.drain();
        const after = await app.runtime.datastore.outbox.findById(row!.id);
        assert.equal(after?.status, "pending");
        assert.match(after?.lastError ?? "", /greeting|timeout/i);

        await hung.close();
        sink = await startSmtpSink({ port: hung.port });
        app.advance(10);
        await app.runtime.outbox.poll();
        assert.deepEqual([...recipients(sink)], [[email.toLowerCase(), 1]]);
      } finally {
        await app.close();
        await hung.close();
        await sink?.close();
      }
    });
  });

  describe(`outbox: a retried request (${dialect})`, () => {
    it("the same Idempotency-Key after the first mail went out: the repeat's own mail goes out too (its answer's link)", async () => {
      const app = await createTestApp({ dialect, mail: true, config: { recovery: { enabled: true }, outbox: OUTBOX } });
      try {
        const email = "Retried.Request+1@Sub.Example.test";
        await app.rampart.api.createUser({ email, password: "correct horse battery" });
        const reset = async (key: string) => {
          const c = app.client();
          const r = await c.post("/reset", {
            json: { email },
            headers: { "x-csrf-token": await c.csrf(), "idempotency-key": key },
          });
          assert.equal(r.status, 200, r.body);
          await app.runtime.deferred.drain();
        };
        // A repeat only takes the place of a message not sent yet (test/flows/outbox-idempotency.test.ts); once
        // the first is out, the repeat's own goes out, so the user gets what the answer the client kept set up.
        await reset("3f6c-retry-me");
        await reset("3f6c-retry-me");
        assert.equal(app.sink.messages.length, 2);
        assert.equal((await app.runtime.datastore.outbox.list({ limit: 10 })).length, 2);
        await reset("another-request");
        assert.equal(app.sink.messages.length, 3);
      } finally {
        await app.close();
      }
    });
  });

  describe(`outbox: several instances and restarts on one database (${dialect})`, () => {
    let db: { url: string; cleanup(): Promise<void> };
    let sink: SmtpSink;
    let offsetMs = 0;
    const open: Rampart[] = [];
    const instance = async (port: number, outbox: Record<string, unknown> = OUTBOX): Promise<Rampart> => {
      const rampart = await createRampart({
        database: db.url,
        migrations: "auto",
        clock: () => new Date(Date.now() + offsetMs),
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          registration: { enabled: true },
          mail: { server: "127.0.0.1", port, timeoutMs: 1000 },
          outbox,
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
        } as never,
      });
      open.push(rampart);
      return rampart;
    };
    const client = (rampart: Rampart) => new TestClient((request) => rampart.fetch(request));

    before(async () => {
      db = await isolatedDatabaseUrl(dialect);
    });
    after(async () => {
      for (const r of open) await r.close().catch(() => undefined);
      await sink?.close();
      await db.cleanup();
    });

    it("two instances polling the same outbox at once send each mail once", async () => {
      const port = await closedPort();
      const a = await instance(port);
      const b = await instance(port);
      for (let i = 0; i < 12; i++) {
        const r = await register(client(i % 2 ? a : b), registration(`Two.Instances-${i}+x@Sub.Example.test`));
        assert.equal(r.status, 200, r.body);
      }
      await runtimeOf(a).deferred.drain();
      await runtimeOf(b).deferred.drain();
      sink = await startSmtpSink({ port });
      offsetMs += 10_000;
      const ids = await a.datastore.outbox.due(new Date(Date.now() + offsetMs), 100);
      assert.equal(ids.length, 12);
      // Both pollers, and each instance delivering every row by hand, all at once.
      await Promise.all([
        runtimeOf(a).outbox.poll(),
        runtimeOf(b).outbox.poll(),
        ...ids.flatMap((id) => [runtimeOf(a).outbox.deliver(id), runtimeOf(b).outbox.deliver(id)]),
      ]);
      await Promise.all([runtimeOf(a).outbox.poll(), runtimeOf(b).outbox.poll()]);
      const got = recipients(sink);
      assert.equal(sink.messages.length, 12);
      for (let i = 0; i < 12; i++) assert.equal(got.get(`two.instances-${i}+x@sub.example.test`), 1);
    });

    it("a process stopped after writing a message (or while sending it) leaves it to the next start, which sends it once", async () => {
      sink.clear();
      const a = await instance(sink.port);
      // Stopped right after its requests committed: nothing of theirs is sent by it.
      await runtimeOf(a).outbox.stop();
      for (const email of ["Killed.Before-Send+1@Example.test", "Killed.While-Sending+2@Example.test"]) {
        assert.equal((await register(client(a), registration(email))).status, 200);
      }
      await runtimeOf(a).deferred.drain();
      const due = await a.datastore.outbox.due(new Date(Date.now() + offsetMs), 10);
      assert.equal(due.length, 2);
      // The second was being sent when the process died: its lease is still held.
      const now = new Date(Date.now() + offsetMs);
      assert.ok(await a.datastore.outbox.claim(due[1]!, now, new Date(now.getTime() + 120_000)));
      await a.close();
      open.splice(open.indexOf(a), 1);
      assert.equal(sink.messages.length, 0);

      // The next start polls at once: the free message goes out; the leased one once its lease has run out.
      const b = await instance(sink.port, { ...OUTBOX, pollIntervalSeconds: 3600 });
      await runtimeOf(b).outbox.drain();
      assert.deepEqual([...recipients(sink)], [["killed.before-send+1@example.test", 1]]);
      offsetMs += 121_000;
      await runtimeOf(b).outbox.poll();
      assert.deepEqual([...recipients(sink)].sort(), [
        ["killed.before-send+1@example.test", 1],
        ["killed.while-sending+2@example.test", 1],
      ]);
    });
  });

  describe(`outbox: SMS through the gateway (${dialect})`, () => {
    it("gateway failing: tf-setup answers 200 and nothing is sent; gateway back: the code arrives once and works", async () => {
      const gateway = await startSmsGateway({ accountSid: "AC0outbox", authToken: "tok-outbox" });
      const t = await createTfApp(dialect, { required: true }, false, {
        outbox: OUTBOX,
        sms: {
          service: "twilio",
          twilioBaseUrl: gateway.url,
          serviceConfig: { accountSid: "AC0outbox", authToken: "tok-outbox", phoneNumber: "+15005550006" },
        },
      });
      try {
        await t.app.rampart.api.createUser({ email: "Sms.User+1@Sub.Example.test", password: "correct horse battery" });
        const c = t.app.client();
        const l = await loginPending(c, "Sms.User+1@Sub.Example.test", "setup_from_login");
        const csrf = l.json.response.csrf_token as string;
        gateway.mode = "500";
        const s = await c.post("/tf-setup", {
          json: { setup: "sms", phone: "(650) 555-1299" },
          headers: { "x-csrf-token": csrf },
        });
        assert.equal(s.status, 200, s.body);
        assert.equal(gateway.messages.length, 0);
        const [row] = await t.app.runtime.datastore.outbox.list({ limit: 1 });
        assert.equal(row?.kind, "sms");
        assert.equal(row?.status, "pending");
        assert.ok(row?.payload?.startsWith("v1.") && !row.payload.includes("code"), "the text is sealed");

        gateway.mode = "ok";
        t.app.advance(5);
        await t.app.runtime.outbox.poll();
        await t.app.runtime.outbox.poll();
        assert.equal(gateway.messages.length, 1);
        assert.equal(gateway.messages[0]!.to, "+16505551299");
        const code = /(\d{6})/.exec(gateway.messages[0]!.body)![1]!;
        assert.equal((await validate(c, csrf, code)).status, 200);
        const sent = await t.app.rampart.api.auditEvents({ event: "sms_sent" });
        assert.equal(sent.length, 1);
        assert.equal(sent[0]!.details?.purpose, "two-factor");
      } finally {
        await t.app.close();
        await gateway.close();
      }
    });
  });
}
