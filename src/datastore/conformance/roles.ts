import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertDuplicate, tag, uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

export function roleStoreConformance(factory: DatastoreFactory): void {
  describe("roles", () => {
    const ds = useDatastore(factory);

    it("create round-trips name, description and permissions", async () => {
      const name = `admin-${tag()}`;
      const role = await ds().roles.create({
        name,
        description: "Administrators",
        permissions: ["read", "write", "admin"],
      });
      assert.ok(role.id > 0, "role id");
      assert.equal(role.name, name);
      assert.equal(role.description, "Administrators");
      assert.deepEqual(role.permissions, ["read", "write", "admin"]);
      assert.ok(role.updateDatetime instanceof Date, "role updateDatetime");
      assert.deepEqual(await ds().roles.findByName(name), role);

      const bare = await ds().roles.create({ name: `bare-${tag()}` });
      assert.equal(bare.description, null);
      assert.deepEqual(bare.permissions, []);
      assert.deepEqual((await ds().roles.findByName(bare.name))?.permissions, []);
      assert.equal(await ds().roles.findByName(`missing-${tag()}`), null);
    });

    it("duplicate names raise DuplicateError(name); permissions may not contain commas", async () => {
      const name = `dup-${tag()}`;
      await ds().roles.create({ name });
      await assertDuplicate(ds().roles.create({ name }), "name");
      await assert.rejects(ds().roles.create({ name: `comma-${tag()}`, permissions: ["a,b"] }));
    });

    it("list returns every role", async () => {
      const names = [`list-b-${tag()}`, `list-a-${tag()}`];
      for (const name of names) await ds().roles.create({ name });
      const listed = (await ds().roles.list()).map((r) => r.name);
      for (const name of names) assert.ok(listed.includes(name), name);
    });

    it("adds and removes permissions, ignoring duplicates", async () => {
      const name = `perm-${tag()}`;
      await ds().roles.create({ name, permissions: ["a"] });
      const added = await ds().roles.addPermissions(name, ["b", "a", "c", "b"]);
      assert.deepEqual(added?.permissions, ["a", "b", "c"]);
      assert.deepEqual((await ds().roles.findByName(name))?.permissions, ["a", "b", "c"]);
      const removed = await ds().roles.removePermissions(name, ["b", "zzz"]);
      assert.deepEqual(removed?.permissions, ["a", "c"]);
      assert.deepEqual((await ds().roles.findByName(name))?.permissions, ["a", "c"]);
      assert.deepEqual((await ds().roles.removePermissions(name, ["a", "c"]))?.permissions, []);
      assert.deepEqual((await ds().roles.findByName(name))?.permissions, []);
      assert.equal(await ds().roles.addPermissions(`missing-${tag()}`, ["x"]), null);
      assert.equal(await ds().roles.removePermissions(`missing-${tag()}`, ["x"]), null);
    });

    it("concurrent permission additions are not lost", async () => {
      const name = `concurrent-${tag()}`;
      await ds().roles.create({ name });
      const perms = Array.from({ length: 8 }, (_, i) => `p${i}`);
      await Promise.all(perms.map((p) => ds().roles.addPermissions(name, [p])));
      assert.deepEqual([...((await ds().roles.findByName(name))?.permissions ?? [])].sort(), perms);
    });

    it("grants are idempotent and removable", async () => {
      const user = await ds().users.create({ email: uniqueEmail() });
      const r1 = await ds().roles.create({ name: `g1-${tag()}` });
      const r2 = await ds().roles.create({ name: `g2-${tag()}` });
      assert.deepEqual(await ds().roles.rolesOfUser(user.id), []);
      assert.equal(await ds().roles.addRoleToUser(user.id, r1.id), true);
      assert.equal(await ds().roles.addRoleToUser(user.id, r1.id), false);
      assert.equal(await ds().roles.addRoleToUser(user.id, r2.id), true);
      assert.deepEqual((await ds().roles.rolesOfUser(user.id)).map((r) => r.id).sort(), [r1.id, r2.id].sort());
      assert.equal(await ds().roles.removeRoleFromUser(user.id, r1.id), true);
      assert.equal(await ds().roles.removeRoleFromUser(user.id, r1.id), false);
      assert.deepEqual(
        (await ds().roles.rolesOfUser(user.id)).map((r) => r.id),
        [r2.id],
      );
    });

    it("20 parallel grants of the same pair: exactly one true", async () => {
      const user = await ds().users.create({ email: uniqueEmail() });
      const role = await ds().roles.create({ name: `race-${tag()}` });
      const results = await Promise.all(Array.from({ length: 20 }, () => ds().roles.addRoleToUser(user.id, role.id)));
      assert.equal(results.filter((r) => r).length, 1);
      assert.equal((await ds().roles.rolesOfUser(user.id)).length, 1);
    });

    it("deleting a role or a user removes the grants", async () => {
      const user = await ds().users.create({ email: uniqueEmail() });
      const keep = await ds().roles.create({ name: `keep-${tag()}` });
      const drop = await ds().roles.create({ name: `drop-${tag()}` });
      await ds().roles.addRoleToUser(user.id, keep.id);
      await ds().roles.addRoleToUser(user.id, drop.id);
      assert.equal(await ds().roles.delete(drop.name), true);
      assert.equal(await ds().roles.delete(drop.name), false);
      assert.equal(await ds().roles.findByName(drop.name), null);
      assert.deepEqual(
        (await ds().roles.rolesOfUser(user.id)).map((r) => r.name),
        [keep.name],
      );
      assert.equal(await ds().users.delete(user.id), true);
      assert.deepEqual(await ds().roles.rolesOfUser(user.id), []);
      // The role itself survives its users, and can be granted again to someone else.
      const other = await ds().users.create({ email: uniqueEmail() });
      assert.equal(await ds().roles.addRoleToUser(other.id, keep.id), true);
    });
  });
}
