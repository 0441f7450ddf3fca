import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { runtimeOf } from "../../src/internal.js";
import { register, registration } from "../../src/features/registration/testing/support.js";
import { flowDialects, TEST_SECRET } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl } from "../helpers/databases.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

/**
 * Each accepted message is delivered once, also when recording its delivery fails: the database cut right
 * after the relay accepted a mail, and a sender that stopped between the send and recording it. Real
 * databases (behind a loopback proxy that refuses connections; SQLite locked by another connection), a real
 * SMTP sink; the clock is moved instead of sleeping past leases.
 */
const OUTBOX = { retryBaseSeconds: 1, retryMaxSeconds: 5, pollIntervalSeconds: 0, leaseSeconds: 60 };
const PASSWORD = "correct horse battery";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function countTo(sink: SmtpSink, address: string): number {
  return sink.messages.filter((m) => m.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase())).length;
}

for (const dialect of flowDialects()) {
  describe(`outbox: delivered once when recording it fails (${dialect})`, () => {
    let db: { url: string; cleanup(): Promise<void> };
    let proxy: FaultProxy | null = null;
    let sink: SmtpSink;
    let offsetMs = 0;
    const open: Rampart[] = [];
    const instance = async (config: Record<string, unknown> = {}): Promise<Rampart> => {
      const rampart = await createRampart({
        database: proxy ? proxy.url(db.url) : db.url,
        migrations: "auto",
        clock: () => new Date(Date.now() + offsetMs),
        logger: quiet,
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          registration: { enabled: true },
          recovery: { enabled: true },
          mail: { server: "127.0.0.1", port: sink.port, timeoutMs: 1000 },
          outbox: OUTBOX,
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          database: { connectTimeoutMs: 400, statementTimeoutMs: 400, sqliteBusyTimeoutMs: 100 },
          ...config,
        } as never,
      });
      open.push(rampart);
      return rampart;
    };
    const client = (rampart: Rampart) => new TestClient((request) => rampart.fetch(request));
    /** Cuts the database (synchronously: called the moment the relay accepts); returns how to bring it back. */
    const cutDatabase = (): (() => void) => {
      if (proxy) {
        proxy.mode("refuse");
        return () => proxy!.mode("pass");
      }
      const other = new Database(new URL(db.url).pathname);
      other.exec("begin immediate");
      return () => {
        other.exec("rollback");
        other.close();
      };
    };

    before(async () => {
      db = await isolatedDatabaseUrl(dialect);
      if (dialect !== "sqlite") {
        const target = new URL(db.url);
        proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
      }
      sink = await startSmtpSink();
    });
    after(async () => {
      for (const r of open) await r.close().catch(() => undefined);
      await sink?.close();
      await proxy?.close();
      await db.cleanup();
    });

    it("the database cut right after the relay accepted a mail: it is received once and its row ends sent", async () => {
      const rampart = await instance();
      const email = "Cut.After-Accept+1@Mail.Sub-Domain.example.test";
      const cut: { restore?: () => void } = {};
      // The sink calls this before it answers 250: the database is gone before the sender learns of success.
      const accepted = sink.waitFor((m) => m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase()));
      void accepted.then(() => {
        cut.restore = cutDatabase();
      });
      assert.equal((await register(client(rampart), registration(email))).status, 200);
      await accepted;
      // The sender's own retries of recording the delivery run into the cut and give up.
      await runtimeOf(rampart).deferred.drain();
      await runtimeOf(rampart).outbox.drain();
      assert.ok(cut.restore, "the database was cut");
      cut.restore();
      // Long past the lease: a row still leased and pending would be sent again now.
      offsetMs += 600_000;
      await runtimeOf(rampart).outbox.poll();
      await runtimeOf(rampart).outbox.poll();
      assert.equal(countTo(sink, email), 1, "received exactly once");
      const [row] = await rampart.datastore.outbox.list({ limit: 1 });
      assert.equal(row?.template, "welcome");
      assert.equal(row?.status, "sent");
      assert.equal(row?.payload, null, "body deleted once sent");
      const sent = await rampart.api.auditEvents({ event: "mail_sent", limit: 10 });
      assert.equal(sent.filter((e) => e.details?.outbox === row?.id).length, 1);
    });

    it("a sender that stopped between sending and recording: a reset link is not sent again (unknown, audited); a welcome mail is", async () => {
      sink.clear();
      const a = await instance();
      const welcome = "Stopped.Sender-Welcome+2@Example.test";
      const resetFor = "Stopped.Sender-Reset+3@Sub.Example.test";
      await a.api.createUser({ email: resetFor, password: PASSWORD });
      // Stopped right after its requests committed: it sends nothing of theirs.
      await runtimeOf(a).outbox.stop();
      assert.equal((await register(client(a), registration(welcome))).status, 200);
      const c = client(a);
      const r = await c.post("/reset", { json: { email: resetFor }, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(r.status, 200, r.body);
      await runtimeOf(a).deferred.drain();
      // Both were handed to the relay by a sender that was killed before it recorded the outcome: it holds them.
      const now = new Date(Date.now() + offsetMs);
      const due = await a.datastore.outbox.due(now, 10);
      assert.equal(due.length, 2);
      for (const id of due) assert.ok(await a.datastore.outbox.claim(id, now, new Date(now.getTime() + 60_000)));
      await a.close();
      open.splice(open.indexOf(a), 1);

      const b = await instance();
      offsetMs += 61_000;
      await runtimeOf(b).outbox.poll();
      await runtimeOf(b).outbox.poll();
      assert.equal(countTo(sink, resetFor), 0, "the reset link is not sent a second time");
      assert.equal(countTo(sink, welcome), 1, "the welcome mail is sent again (a duplicate rather than a loss)");
      const rows = await b.datastore.outbox.list({ limit: 10 });
      const reset = rows.find((row) => row.template === "reset_instructions");
      assert.equal(reset?.status, "unknown");
      assert.match(reset?.lastError ?? "", /not sent again/);
      assert.equal(rows.find((row) => row.template === "welcome")?.status, "sent");
      const audited = await b.api.auditEvents({ event: "mail_unknown", limit: 10 });
      assert.deepEqual(
        audited.map((e) => [e.details?.outbox, e.details?.template, e.outcome]),
        [[reset?.id, "reset_instructions", "failure"]],
      );
      // Nothing more goes out later, and an operator may still send it on purpose.
      offsetMs += 3_600_000;
      await runtimeOf(b).outbox.poll();
      assert.equal(countTo(sink, resetFor), 0);
      assert.equal(await b.datastore.outbox.retry(reset!.id, new Date(Date.now() + offsetMs)), true);
      await runtimeOf(b).outbox.poll();
      assert.equal(countTo(sink, resetFor), 1);
    });
  });
}
