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
      // The first sender died: after its lease the row is not claimed as it is (it may have been sent); once it is
      // settled back to pending anyone may claim it, and the first sender's late outcome is refused.
      assert.equal(await ds().outbox.claim(r.id, at(62), at(122)), null, "sending: settled first, never re-claimed");
      assert.equal(await ds().outbox.settle(r.id, at(62), "pending", "sent again"), true);
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

    it("a claim marks the row sending; one left sending past its lease is settled once, pending or unknown", async () => {
      const again = row();
      const lost = row({ template: "reset_instructions" });
      for (const r of [again, lost]) await ds().outbox.add(r);
      const c1 = await ds().outbox.claim(again.id, at(0), at(60));
      const c2 = await ds().outbox.claim(lost.id, at(0), at(60));
      assert.ok(c1 && c2);
      assert.equal((await ds().outbox.findById(again.id))?.status, "sending");
      assert.equal(c1.record.status, "sending");
      const ours = (rows: { id: string }[]) => rows.map((r) => r.id).filter((id) => id === again.id || id === lost.id);
      assert.deepEqual(ours(await ds().outbox.unsettled(at(59), 1000)), [], "lease running: not unsettled");
      assert.deepEqual(ours(await ds().outbox.unsettled(at(60), 1000)).sort(), [again.id, lost.id].sort());
      assert.equal(await ds().outbox.settle(again.id, at(59), "pending", "x"), false, "not before the lease ends");
      const both = await Promise.all([
        ds().outbox.settle(again.id, at(61), "pending", "sent again"),
        ds().outbox.settle(again.id, at(61), "pending", "sent again"),
      ]);
      assert.deepEqual(both.sort(), [false, true], "settled once");
      assert.equal(await ds().outbox.settle(lost.id, at(61), "unknown", "delivery unknown"), true);
      assert.equal(
        await ds().outbox.markSent(lost.id, c2.token, at(62)),
        false,
        "a settled row refuses the late outcome",
      );
      const pending = await ds().outbox.findById(again.id);
      assert.equal(pending?.status, "pending");
      assert.equal(pending?.nextAttemptAt.getTime(), at(61).getTime());
      assert.equal(pending?.lastError, "sent again");
      assert.ok((await ds().outbox.due(at(61), 1000)).includes(again.id));
      const unknown = await ds().outbox.findById(lost.id);
      assert.equal(unknown?.status, "unknown");
      assert.equal(unknown?.payload, "sealed", "kept for an operator's retry");
      assert.ok(!(await ds().outbox.due(at(61), 1000)).includes(lost.id), "never sent again by itself");
      assert.deepEqual(ours(await ds().outbox.list({ status: "unknown", limit: 1000 })), [lost.id]);
      // A sender whose write was late but whose claim still stands records its outcome after the lease.
      const c3 = await ds().outbox.claim(again.id, at(61), at(121));
      assert.ok(c3);
      assert.equal(await ds().outbox.markSent(again.id, c3.token, at(500)), true);
      assert.equal(await ds().outbox.retry(lost.id, at(70)), true, "unknown: an operator may send it");
      assert.equal((await ds().outbox.findById(lost.id))?.status, "pending");
    });

    it("finds a row by its idempotency key; replaces the payload of a pending row only; a released key is free", async () => {
      const r = row();
      await ds().outbox.add(r);
      assert.equal((await ds().outbox.findByIdempotencyKey(r.idempotencyKey))?.id, r.id);
      assert.equal(await ds().outbox.findByIdempotencyKey(`${r.idempotencyKey}-no`), null);
      assert.equal(await ds().outbox.replacePayload(r.id, "sealed-2", at(5)), true);
      const replaced = await ds().outbox.findById(r.id);
      assert.equal(replaced?.payload, "sealed-2");
      assert.equal(replaced?.nextAttemptAt.getTime(), at(5).getTime(), "due now");
      const c = await ds().outbox.claim(r.id, at(5), at(65));
      assert.ok(c);
      assert.equal(await ds().outbox.replacePayload(r.id, "sealed-3", at(6)), false, "not while being sent");
      await ds().outbox.markSent(r.id, c.token, at(7));
      assert.equal(await ds().outbox.replacePayload(r.id, "sealed-3", at(8)), false, "not once sent");
      await ds().outbox.releaseIdempotencyKey(r.id);
      assert.equal(await ds().outbox.findByIdempotencyKey(r.idempotencyKey), null);
      const next = row({ idempotencyKey: r.idempotencyKey });
      assert.equal(await ds().outbox.add(next), true, "the key is free again");
      assert.equal((await ds().outbox.findById(r.id))?.status, "sent", "the first row stays");
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
