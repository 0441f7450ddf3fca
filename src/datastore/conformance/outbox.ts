import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewOutboxRecord } from "../contracts.js";
import { tag, useDatastore, type DatastoreFactory } from "./util.js";

/** The outbox: idempotent writes, one claim per due row across concurrent senders, leases, outcomes, sweeps. */
export function outboxStoreConformance(factory: DatastoreFactory): void {
  describe("outbox", () => {
    const ds = useDatastore(factory);
    const t0 = new Date("2025-06-01T12:00:00.000Z");
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
    const row = (over: Partial<NewOutboxRecord> = {}): NewOutboxRecord => ({
      id: `ob${tag()}`.slice(0, 32),
      idempotencyKey: `k-${tag()}`,
      kind: "mail",
      template: "welcome",
      recipient: "Some.One+x@Sub.Example.test",
      userId: null,
      createdAt: t0,
      payload: "sealed",
      ...over,
    });

    it("adds once per idempotency key; reads back what was written", async () => {
      const r = row({ userId: 7 });
      assert.equal(await ds().outbox.add(r), true);
      assert.equal(await ds().outbox.add({ ...r, id: `${r.id.slice(0, 28)}dup` }), false, "same key: nothing written");
      const got = await ds().outbox.findById(r.id);
      assert.ok(got);
      assert.equal(got.status, "pending");
      assert.equal(got.attempts, 0);
      assert.equal(got.recipient, r.recipient);
      assert.equal(got.userId, 7);
      assert.equal(got.payload, "sealed");
      assert.equal(got.nextAttemptAt.getTime(), t0.getTime());
      assert.equal(await ds().outbox.findById(`${r.id.slice(0, 28)}dup`), null);
    });

    it("of 10 concurrent claims of a due row exactly one wins; the lease keeps it until it runs out", async () => {
      const r = row();
      await ds().outbox.add(r);
      const claims = await Promise.all(Array.from({ length: 10 }, () => ds().outbox.claim(r.id, at(1), at(61))));
      const won = claims.filter((c) => c !== null);
      assert.equal(won.length, 1);
      assert.equal(won[0]!.record.attempts, 1);
      assert.ok(!(await ds().outbox.due(at(30), 1000)).includes(r.id), "leased: not due");
      assert.equal(await ds().outbox.claim(r.id, at(30), at(90)), null);
      // The first sender died: after its lease anyone may claim; its late outcome is refused.
      const second = await ds().outbox.claim(r.id, at(62), at(122));
      assert.ok(second);
      assert.equal(second.record.attempts, 2);
      assert.equal(await ds().outbox.markSent(r.id, won[0]!.token, at(63)), false, "lost lease");
      assert.equal(await ds().outbox.markSent(r.id, second.token, at(63)), true);
      const sent = await ds().outbox.findById(r.id);
      assert.equal(sent?.status, "sent");
      assert.equal(sent?.payload, null, "payload deleted once sent");
      assert.equal(sent?.sentAt?.getTime(), at(63).getTime());
      assert.equal(await ds().outbox.claim(r.id, at(200), at(260)), null, "sent rows are never claimed");
    });

    it("reschedule makes it due later; markFailed stops it; retry brings a failed row back", async () => {
      const r = row({ kind: "sms", template: "two-factor", recipient: "+16505551212" });
      await ds().outbox.add(r);
      const c1 = await ds().outbox.claim(r.id, at(0), at(60));
      assert.ok(c1);
      assert.equal(await ds().outbox.retry(r.id, at(10)), false, "not while a sender holds it");
      assert.equal(await ds().outbox.reschedule(r.id, c1.token, at(30), "connect ECONNREFUSED"), true);
      assert.ok(!(await ds().outbox.due(at(29), 1000)).includes(r.id));
      assert.ok((await ds().outbox.due(at(30), 1000)).includes(r.id));
      assert.equal((await ds().outbox.findById(r.id))?.lastError, "connect ECONNREFUSED");
      const c2 = await ds().outbox.claim(r.id, at(30), at(90));
      assert.ok(c2);
      assert.equal(await ds().outbox.markFailed(r.id, c2.token, "x".repeat(900)), true);
      const failed = await ds().outbox.findById(r.id);
      assert.equal(failed?.status, "failed");
      assert.equal(failed?.lastError?.length, 500, "bounded");
      assert.equal(failed?.kind, "sms");
      assert.equal(await ds().outbox.claim(r.id, at(100), at(160)), null);
      assert.equal(await ds().outbox.retry(r.id, at(100)), true);
      const again = await ds().outbox.claim(r.id, at(100), at(160));
      assert.equal(again?.record.attempts, 1, "attempts start over");
      assert.equal(await ds().outbox.retry("nope", at(100)), false);
    });

    it("lists newest first by status; sweeps only finished rows older than the cut", async () => {
      const mark = tag();
      const old = row({ createdAt: at(-1000), template: `t${mark}`.slice(0, 60) });
      const done = row({ createdAt: at(-900) });
      const fresh = row({ createdAt: at(0) });
      for (const r of [old, done, fresh]) await ds().outbox.add(r);
      const c = await ds().outbox.claim(done.id, at(1), at(60));
      await ds().outbox.markSent(done.id, c!.token, at(2));
      const sent = await ds().outbox.list({ status: "sent", limit: 1000 });
      assert.ok(sent.some((r) => r.id === done.id) && !sent.some((r) => r.id === old.id));
      const all = await ds().outbox.list({ limit: 1000 });
      const order = all.filter((r) => [old.id, done.id, fresh.id].includes(r.id)).map((r) => r.id);
      assert.deepEqual(order, [fresh.id, done.id, old.id]);
      assert.ok((await ds().outbox.deleteFinishedBefore(at(-10))) >= 1);
      assert.equal(await ds().outbox.findById(done.id), null, "sent and old: swept");
      assert.ok(await ds().outbox.findById(old.id), "pending rows are never swept");
    });
  });
}
