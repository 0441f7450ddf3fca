import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DuplicateError } from "../contracts.js";
import {
  assertDuplicate,
  assertSameInstant,
  caseVariants,
  tag,
  uniqueEmail,
  useDatastore,
  type DatastoreFactory,
} from "./util.js";

export function userStoreConformance(factory: DatastoreFactory): void {
  describe("users", () => {
    const ds = useDatastore(factory);

    it("create applies defaults and findById returns the same record", async () => {
      const before = Date.now();
      const email = uniqueEmail("Defaults");
      const user = await ds().users.create({ email });
      assert.ok(Number.isInteger(user.id) && user.id > 0, `user id ${user.id}`);
      assert.equal(user.email, email, "email keeps its spelling");
      assert.equal(user.username, null);
      assert.equal(user.password, null);
      assert.equal(user.active, true);
      assert.match(user.fsUniquifier, /^\S{32,64}$/);
      assert.equal(user.fsTokenUniquifier, null);
      assert.equal(user.confirmedAt, null);
      assert.equal(user.loginCount, null);
      assert.ok(
        user.createDatetime.getTime() >= before - 1000 && user.createDatetime.getTime() <= Date.now() + 1000,
        `createDatetime ${user.createDatetime.toISOString()} is now`,
      );
      assert.ok(user.updateDatetime.getTime() >= before - 1000, "updateDatetime is now");
      assert.deepEqual(await ds().users.findById(user.id), user);
      assert.equal(await ds().users.findById(user.id + 1_000_000), null);
    });

    it("profile fields round-trip as a JSON object and can be replaced or cleared", async () => {
      const user = await ds().users.create({
        email: uniqueEmail("Profile"),
        profile: { first_name: "Zoë", age: 40, tags: ["a"] },
      });
      assert.deepEqual(user.profile, { first_name: "Zoë", age: 40, tags: ["a"] }, "created with profile");
      await ds().users.update(user.id, { profile: { first_name: "Zoe" } });
      assert.deepEqual((await ds().users.findById(user.id))!.profile, { first_name: "Zoe" }, "replaced");
      await ds().users.update(user.id, { profile: null });
      assert.equal((await ds().users.findById(user.id))!.profile, null, "cleared");
      const plain = await ds().users.create({ email: uniqueEmail("NoProfile") });
      assert.equal(plain.profile, null, "absent profile reads as null");
    });

    it("recordLogin shifts current to last and counts 20 concurrent logins exactly", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Track") });
      const first = new Date("2025-01-01T10:00:00.000Z");
      await ds().users.recordLogin(user.id, first, "10.0.0.1");
      let u = (await ds().users.findById(user.id))!;
      assert.equal(u.loginCount, 1, "first login counted");
      assert.equal(u.currentLoginIp, "10.0.0.1");
      assert.equal(u.lastLoginIp, "10.0.0.1", "last falls back to current on the first login");
      assertSameInstant(u.currentLoginAt!, first, 1000);
      const second = new Date("2025-01-02T10:00:00.000Z");
      await ds().users.recordLogin(user.id, second, "10.0.0.2");
      u = (await ds().users.findById(user.id))!;
      assert.equal(u.lastLoginIp, "10.0.0.1", "previous current became last");
      assert.equal(u.currentLoginIp, "10.0.0.2");
      assertSameInstant(u.lastLoginAt!, first, 1000);
      assertSameInstant(u.currentLoginAt!, second, 1000);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ds().users.recordLogin(user.id, new Date(second.getTime() + i * 1000), "10.0.0.3"),
        ),
      );
      u = (await ds().users.findById(user.id))!;
      assert.equal(u.loginCount, 22, "no concurrent login lost");
    });

    it("create stores the given fields and unique uniquifiers", async () => {
      const confirmedAt = new Date("2024-02-29T23:59:58.250Z");
      const a = await ds().users.create({
        email: uniqueEmail(),
        username: `name${tag()}`,
        password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        active: false,
        confirmedAt,
      });
      const b = await ds().users.create({ email: uniqueEmail() });
      assert.equal(a.active, false);
      assert.equal(a.password, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
      assertSameInstant(a.confirmedAt, confirmedAt, 1000, "confirmedAt");
      assert.notEqual(a.fsUniquifier, b.fsUniquifier);
    });

    it("email and username are unique case-insensitively, with the field named", async () => {
      const email = uniqueEmail("Case");
      const username = `Alice${tag()}`;
      await ds().users.create({ email, username });
      await assertDuplicate(ds().users.create({ email }), "email");
      await assertDuplicate(ds().users.create({ email: email.toUpperCase() }), "email");
      await assertDuplicate(ds().users.create({ email: uniqueEmail(), username: username.toLowerCase() }), "username");
      await assertDuplicate(ds().users.create({ email: uniqueEmail(), username: username.toUpperCase() }), "username");
      // Several users may have no username.
      await ds().users.create({ email: uniqueEmail(), username: null });
      await ds().users.create({ email: uniqueEmail(), username: null });
    });

    it("usernames that look alike (Unicode TR39 confusables) are unique too, with the field named", async () => {
      const t = tag();
      const alice = await ds().users.create({ email: uniqueEmail(), username: `alice${t}` });
      for (const lookalike of [`\u0430lice${t}`, `al\u0131ce${t}`, `\u0251lice${t}`, `a1ice${t}`, `ALICE${t}`]) {
        await assertDuplicate(ds().users.create({ email: uniqueEmail(), username: lookalike }), "username");
      }
      const other = await ds().users.create({ email: uniqueEmail(), username: `alicia${t}` });
      await assertDuplicate(ds().users.update(other.id, { username: `al\u0131ce${t}` }), "username");
      // Renaming to a look-alike of one's own name is fine; the old look frees up with the old name.
      await ds().users.update(alice.id, { username: `al\u0131ce${t}` });
      await ds().users.update(alice.id, { username: `bob${t}` });
      await ds().users.create({ email: uniqueEmail(), username: `\u0251lice${t}` });
      // Same letters with accents are different names, and exact lookups stay exact.
      await ds().users.create({ email: uniqueEmail(), username: `zo\u00eb${t}` });
      await ds().users.create({ email: uniqueEmail(), username: `zoe${t}` });
      assert.equal(await ds().users.findByUsername(`alice${t}`), null);
    });

    it("finds by email and username case-insensitively (NFKD + lower case)", async () => {
      const t = tag();
      const user = await ds().users.create({ email: `Mixed.Case.${t}@Example.COM`, username: `Bob${t}` });
      for (const probe of [
        `mixed.case.${t}@example.com`,
        `MIXED.CASE.${t}@EXAMPLE.COM`,
        `Mixed.Case.${t}@Example.COM`,
      ]) {
        assert.equal((await ds().users.findByEmail(probe))?.id, user.id, probe);
      }
      assert.equal((await ds().users.findByUsername(`BOB${t}`))?.id, user.id);
      assert.equal((await ds().users.findByUsername(`bob${t}`))?.id, user.id);
      assert.equal(await ds().users.findByEmail(`other.${t}@example.com`), null);
      assert.equal(await ds().users.findByUsername(`nobody${t}`), null);
      // Compatibility decomposition: the "ﬁ" ligature canonicalizes to "fi".
      const lig = await ds().users.create({ email: `\ufb01le.${t}@example.com` });
      assert.equal((await ds().users.findByEmail(`FILE.${t}@example.com`))?.id, lig.id);
    });

    it("update changes fields, canonical columns and update_datetime", async () => {
      const user = await ds().users.create({ email: uniqueEmail(), username: `u${tag()}` });
      const t = tag();
      const at = new Date("2030-01-02T03:04:05.678Z");
      await new Promise((r) => setTimeout(r, 5));
      await ds().users.update(user.id, {
        email: `New.${t}@Example.com`,
        username: `Renamed${t}`,
        password: "hash2",
        active: false,
        confirmedAt: at,
        lastLoginAt: at,
        currentLoginAt: at,
        lastLoginIp: "192.0.2.1",
        currentLoginIp: "2001:db8::1",
        loginCount: 7,
        tfPrimaryMethod: "authenticator",
        tfTotpSecret: "totp-secret",
        tfPhoneNumber: "+15551234567",
        usTotpSecrets: '{"email":"x"}',
        usPhoneNumber: `+1555${t}`,
        mfRecoveryCodes: "a,b,c",
        fsWebauthnUserHandle: `handle${t}`,
      });
      const got = await ds().users.findByEmail(`new.${t}@example.com`);
      assert.ok(got, "found by the new email, case-insensitively");
      assert.equal(got.id, user.id);
      assert.equal(got.email, `New.${t}@Example.com`);
      assert.equal(await ds().users.findByEmail(user.email), null, "old email no longer found");
      assert.equal((await ds().users.findByUsername(`renamed${t}`))?.id, user.id);
      assert.equal(got.password, "hash2");
      assert.equal(got.active, false);
      for (const key of ["confirmedAt", "lastLoginAt", "currentLoginAt"] as const)
        assertSameInstant(got[key], at, 1000, key);
      assert.equal(got.lastLoginIp, "192.0.2.1");
      assert.equal(got.currentLoginIp, "2001:db8::1");
      assert.equal(got.loginCount, 7);
      assert.equal(got.tfPrimaryMethod, "authenticator");
      assert.equal(got.tfTotpSecret, "totp-secret");
      assert.equal(got.tfPhoneNumber, "+15551234567");
      assert.equal(got.usTotpSecrets, '{"email":"x"}');
      assert.equal(got.usPhoneNumber, `+1555${t}`);
      assert.equal(got.mfRecoveryCodes, "a,b,c");
      assert.equal(got.fsWebauthnUserHandle, `handle${t}`);
      assert.equal(got.fsUniquifier, user.fsUniquifier, "update never touches the uniquifier");
      assert.ok(got.updateDatetime.getTime() > user.updateDatetime.getTime(), "update_datetime bumped");
      assertSameInstant(got.createDatetime, user.createDatetime, 0, "createDatetime");

      await ds().users.update(user.id, { username: null, confirmedAt: null, loginCount: null });
      const cleared = await ds().users.findById(user.id);
      assert.equal(cleared?.username, null);
      assert.equal(cleared?.confirmedAt, null);
      assert.equal(cleared?.loginCount, null);
      assert.equal(cleared?.lastLoginIp, "192.0.2.1", "fields outside the patch are kept");
      assert.equal(await ds().users.findByUsername(`renamed${t}`), null);
      // The freed username can be taken by someone else.
      await ds().users.create({ email: uniqueEmail(), username: `RENAMED${t}` });
    });

    it("update reports duplicates by field", async () => {
      const a = await ds().users.create({ email: uniqueEmail(), username: `a${tag()}` });
      const phone = `+1666${tag()}`;
      const b = await ds().users.create({ email: uniqueEmail() });
      await ds().users.update(a.id, { usPhoneNumber: phone });
      await assertDuplicate(ds().users.update(b.id, { email: a.email.toUpperCase() }), "email");
      await assertDuplicate(ds().users.update(b.id, { username: a.username?.toUpperCase() ?? "" }), "username");
      await assertDuplicate(ds().users.update(b.id, { usPhoneNumber: phone }), "us_phone_number");
      assert.equal((await ds().users.findById(b.id))?.email, b.email, "failed update changed nothing");
    });

    it("rotates uniquifiers and falls back from token uniquifier to fs_uniquifier", async () => {
      const user = await ds().users.create({ email: uniqueEmail() });
      assert.equal((await ds().users.findByUniquifier(user.fsUniquifier))?.id, user.id);
      assert.equal(
        (await ds().users.findByTokenUniquifier(user.fsUniquifier))?.id,
        user.id,
        "fallback to fs_uniquifier",
      );

      const fresh = await ds().users.rotateUniquifier(user.id);
      assert.notEqual(fresh, user.fsUniquifier);
      assert.equal(await ds().users.findByUniquifier(user.fsUniquifier), null);
      assert.equal(await ds().users.findByTokenUniquifier(user.fsUniquifier), null);
      assert.equal((await ds().users.findByUniquifier(fresh))?.fsUniquifier, fresh);

      const token = await ds().users.rotateTokenUniquifier(user.id);
      assert.notEqual(token, fresh);
      const viaToken = await ds().users.findByTokenUniquifier(token);
      assert.equal(viaToken?.id, user.id);
      assert.equal(viaToken?.fsTokenUniquifier, token);
      assert.equal(viaToken?.fsUniquifier, fresh, "token rotation leaves fs_uniquifier alone");
      const token2 = await ds().users.rotateTokenUniquifier(user.id);
      assert.equal(await ds().users.findByTokenUniquifier(token), null, "old token uniquifier is dead");
      assert.equal((await ds().users.findByTokenUniquifier(token2))?.id, user.id);
      assert.equal(await ds().users.findByTokenUniquifier(`missing${tag()}`), null);
      await assert.rejects(ds().users.rotateUniquifier(user.id + 1_000_000));
    });

    it("markConfirmed and replaceEmail are compare-and-set: one winner among concurrent callers", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Confirm") });
      const expect = { fsUniquifier: user.fsUniquifier, email: user.email };
      const at = new Date("2025-03-01T00:00:00.000Z");
      const confirms = await Promise.all(
        Array.from({ length: 10 }, () => ds().users.markConfirmed(user.id, at, expect)),
      );
      assert.equal(confirms.filter(Boolean).length, 1, "confirmed once");
      assertSameInstant((await ds().users.findById(user.id))!.confirmedAt!, at, 1000);
      assert.equal(
        await ds().users.markConfirmed(user.id, at, { ...expect, fsUniquifier: "other" }),
        false,
        "stale uniquifier loses",
      );
      const targets = Array.from({ length: 10 }, (_, i) => uniqueEmail(`New${i}`));
      const swaps = await Promise.all(targets.map((t) => ds().users.replaceEmail(user.id, expect, t, at)));
      assert.equal(swaps.filter(Boolean).length, 1, "email replaced once");
      const now = (await ds().users.findById(user.id))!;
      assert.equal(now.email, targets[swaps.indexOf(true)], "the winner's address");
      assert.equal((await ds().users.findByEmail(now.email.toUpperCase()))?.id, user.id, "canonical column follows");
      const other = await ds().users.create({ email: uniqueEmail("Taken") });
      await assertDuplicate(
        ds().users.replaceEmail(
          user.id,
          { fsUniquifier: now.fsUniquifier, email: now.email },
          other.email.toUpperCase(),
          at,
        ),
        "email",
      );
    });

    it("replacePasswordHash with expected null sets a first password exactly once under concurrency", async () => {
      const user = await ds().users.create({ email: uniqueEmail("FirstPw") });
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ds().users.replacePasswordHash(user.id, null, `first-${i}`)),
      );
      assert.equal(wins.filter(Boolean).length, 1, "exactly one first password");
      assert.match((await ds().users.findById(user.id))!.password ?? "", /^first-\d$/);
    });

    it("replacePasswordHash is a compare-and-set", async () => {
      const user = await ds().users.create({ email: uniqueEmail(), password: "old-hash" });
      assert.equal(await ds().users.replacePasswordHash(user.id, "stale-hash", "x"), false);
      assert.equal((await ds().users.findById(user.id))?.password, "old-hash");
      assert.equal(await ds().users.replacePasswordHash(user.id, "old-hash", "new-hash"), true);
      assert.equal((await ds().users.findById(user.id))?.password, "new-hash");
      assert.equal(await ds().users.replacePasswordHash(user.id, "old-hash", "newer"), false, "second swap loses");
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => ds().users.replacePasswordHash(user.id, "new-hash", `racer-${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 1, "exactly one concurrent swap wins");
    });

    it("list, count and delete", async () => {
      const before = await ds().users.count();
      const created = [];
      for (let i = 0; i < 3; i++) created.push(await ds().users.create({ email: uniqueEmail("list") }));
      assert.equal(await ds().users.count(), before + 3);
      const all = await ds().users.list();
      assert.equal(all.length, before + 3);
      assert.deepEqual(
        all.map((u) => u.id),
        [...all.map((u) => u.id)].sort((x, y) => x - y),
        "ordered by id",
      );
      const page = await ds().users.list({ limit: 2, offset: before + 1 });
      assert.deepEqual(
        page.map((u) => u.id),
        created.slice(1).map((u) => u.id),
      );
      assert.deepEqual(
        (await ds().users.list({ offset: before + 2 })).map((u) => u.id),
        [created[2]?.id],
      );
      const victim = created[0];
      assert.ok(victim, "fixture");
      assert.equal(await ds().users.delete(victim.id), true);
      assert.equal(await ds().users.delete(victim.id), false);
      assert.equal(await ds().users.findById(victim.id), null);
      assert.equal(await ds().users.count(), before + 2);
    });

    it("20 parallel creates of one email in case variants: exactly one wins", async () => {
      const local = `race${tag()}abcdefghijklmnop`;
      const variants = caseVariants(`${local}@example.com`, 20);
      assert.equal(new Set(variants).size, 20);
      const results = await Promise.allSettled(variants.map((email) => ds().users.create({ email })));
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(ok.length, 1);
      assert.equal(failed.length, 19);
      for (const f of failed) {
        assert.ok(f.reason instanceof DuplicateError, `expected DuplicateError, got ${String(f.reason)}`);
        assert.equal(f.reason.field, "email");
      }
      assert.ok(await ds().users.findByEmail(local.toUpperCase() + "@EXAMPLE.COM"), "the winner is findable");
    });
  });
}
