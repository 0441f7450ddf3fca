import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { describe, it } from "node:test";
import type { AuditEventRecord } from "../contracts.js";
import { tag, useDatastore, type DatastoreFactory } from "./util.js";

export function auditStoreConformance(factory: DatastoreFactory): void {
  describe("audit", () => {
    const ds = useDatastore(factory);
    const userId = (): number => randomInt(1_000_000, 2_000_000_000);

    it("append and list round-trip every field, newest first", async () => {
      const event = `login-${tag()}`;
      const uid = userId();
      const first: Omit<AuditEventRecord, "id"> = {
        at: new Date(Date.now() - 2001),
        event,
        outcome: "failure",
        userId: null,
        identity: "Someone@Example.com",
        ip: "198.51.100.7",
        userAgent: "curl/8",
        details: { reason: "bad_password", attempts: 3, nested: { list: [1, "two", null] } },
      };
      const second: Omit<AuditEventRecord, "id"> = {
        at: new Date(Date.now() - 1003),
        event,
        outcome: "success",
        userId: uid,
        identity: null,
        ip: null,
        userAgent: null,
        details: null,
      };
      await ds().audit.append(first);
      await ds().audit.append(second);
      const listed = await ds().audit.list({ event });
      assert.equal(listed.length, 2);
      const [newest, oldest] = listed;
      assert.ok(newest && oldest, "two events listed");
      assert.ok(newest.id > oldest.id, "newest first");
      assert.deepEqual(newest, { ...second, id: newest.id });
      assert.deepEqual(oldest, { ...first, id: oldest.id });
    });

    it("filters by user and event, limits and pages with beforeId", async () => {
      const uid = userId();
      const other = userId();
      const login = `login-${tag()}`;
      const logout = `logout-${tag()}`;
      const base = Date.now();
      const plan: [number, string][] = [
        [uid, login],
        [other, login],
        [uid, logout],
        [uid, login],
        [uid, login],
      ];
      for (const [i, [u, event]] of plan.entries()) {
        await ds().audit.append({
          at: new Date(base + i),
          event,
          outcome: "success",
          userId: u,
          identity: null,
          ip: null,
          userAgent: null,
          details: { i },
        });
      }
      const mine = await ds().audit.list({ userId: uid });
      assert.deepEqual(
        mine.map((e) => e.details?.i),
        [4, 3, 2, 0],
      );
      assert.deepEqual(
        (await ds().audit.list({ userId: uid, event: login })).map((e) => e.details?.i),
        [4, 3, 0],
      );
      assert.deepEqual(
        (await ds().audit.list({ event: login })).map((e) => e.details?.i),
        [4, 3, 1, 0],
      );
      const page1 = await ds().audit.list({ userId: uid, limit: 2 });
      assert.deepEqual(
        page1.map((e) => e.details?.i),
        [4, 3],
      );
      const page2 = await ds().audit.list({ userId: uid, limit: 2, beforeId: page1[1]?.id ?? 0 });
      assert.deepEqual(
        page2.map((e) => e.details?.i),
        [2, 0],
      );
      assert.deepEqual(await ds().audit.list({ userId: userId() }), []);
      const all = await ds().audit.list({ limit: 3 });
      assert.equal(all.length, 3);
      assert.ok((all[0]?.id ?? 0) > (all[1]?.id ?? 0) && (all[1]?.id ?? 0) > (all[2]?.id ?? 0), "ids descending");
    });
  });
}
