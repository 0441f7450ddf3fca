import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DuplicateError } from "../contracts.js";
import { makeSession } from "./sessions.js";
import { tag, uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

export function lifecycleConformance(factory: DatastoreFactory): void {
  describe("transactions and migrations", () => {
    const ds = useDatastore(factory);

    it("a failed transaction leaves nothing behind", async () => {
      const email = uniqueEmail("rollback");
      const roleName = `rollback-${tag()}`;
      const event = `rollback-${tag()}`;
      const existing = await ds().users.create({ email: uniqueEmail() });
      const session = makeSession(existing.id);
      await assert.rejects(
        ds().transaction(async (tx) => {
          const user = await tx.users.create({ email });
          assert.equal((await tx.users.findByEmail(email))?.id, user.id, "the transaction sees its own writes");
          const role = await tx.roles.create({ name: roleName, permissions: ["p"] });
          assert.equal(await tx.roles.addRoleToUser(user.id, role.id), true);
          await tx.sessions.create(session);
          await tx.audit.append({
            at: new Date(),
            event,
            outcome: "info",
            userId: user.id,
            identity: null,
            ip: null,
            userAgent: null,
            details: null,
          });
          await tx.users.update(existing.id, { loginCount: 99 });
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await ds().users.findByEmail(email), null);
      assert.equal(await ds().roles.findByName(roleName), null);
      assert.equal(await ds().sessions.findById(session.id), null);
      assert.deepEqual(await ds().audit.list({ event }), []);
      assert.equal((await ds().users.findById(existing.id))?.loginCount, null);
    });

    it("a transaction commits and returns its result", async () => {
      const email = uniqueEmail("commit");
      const id = await ds().transaction(async (tx) => {
        const user = await tx.users.create({ email });
        const role = await tx.roles.create({ name: `commit-${tag()}` });
        await tx.roles.addRoleToUser(user.id, role.id);
        await tx.roles.addPermissions(role.name, ["x"]);
        return user.id;
      });
      assert.equal((await ds().users.findByEmail(email))?.id, id);
      assert.deepEqual(
        (await ds().roles.rolesOfUser(id)).map((r) => r.permissions),
        [["x"]],
      );
    });

    it("a DuplicateError inside a transaction propagates and rolls back", async () => {
      const taken = await ds().users.create({ email: uniqueEmail() });
      const fresh = uniqueEmail("dup-tx");
      await assert.rejects(
        ds().transaction(async (tx) => {
          await tx.users.create({ email: fresh });
          await tx.users.create({ email: taken.email.toUpperCase() });
        }),
        (err: unknown) => err instanceof DuplicateError && err.field === "email",
      );
      assert.equal(await ds().users.findByEmail(fresh), null);
    });

    it("a caught DuplicateError does not spoil the transaction", async () => {
      const taken = await ds().users.create({ email: uniqueEmail(), username: `taken${tag()}` });
      const takenRole = await ds().roles.create({ name: `taken-${tag()}` });
      const fresh = uniqueEmail("after-dup");
      await ds().transaction(async (tx) => {
        await assert.rejects(tx.users.create({ email: taken.email }), DuplicateError);
        const other = await tx.users.create({ email: uniqueEmail() });
        await assert.rejects(tx.users.update(other.id, { username: taken.username }), DuplicateError);
        await assert.rejects(tx.roles.create({ name: takenRole.name }), DuplicateError);
        await tx.users.create({ email: fresh });
      });
      assert.ok(await ds().users.findByEmail(fresh), "work after the caught duplicate was committed");
    });

    it("migrateToLatest is idempotent and nothing stays pending", async () => {
      assert.deepEqual(await ds().migrations.migrateToLatest(), []);
      assert.deepEqual(await ds().migrations.migrateToLatest(), []);
      assert.deepEqual(await ds().migrations.pending(), []);
    });
  });
}
