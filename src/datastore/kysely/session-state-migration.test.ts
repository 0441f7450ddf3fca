/**
 * Migration 0007 on a database with live sessions: the state they kept in `data` JSON (multi-factor proof,
 * pending rotation, remember record) is in the typed columns afterwards, so nobody is signed out by the upgrade
 * and a rotation ordered before it still happens; and while old and new instances run side by side each reads
 * what the other wrote.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
import { isolatedDatabaseUrl } from "../../../test/helpers/databases.js";
import { openDatabase, openDatastore } from "../open.js";
import { canonicalIdentity } from "../canonical.js";
import { createMigrator, rampartMigrations } from "./migrations/index.js";

const NAMES = Object.keys(rampartMigrations("sqlite")).sort();
const BEFORE = NAMES[NAMES.indexOf("0007_session_state") - 1]!;

for (const dialect of flowDialects()) {
  describe(`migration 0007_session_state on ${dialect}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("moves each session's state from data into typed columns", async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanups.push(isolated.cleanup);
      const { db, dialect: d, schema } = await openDatabase(isolated.url);
      const far = Date.now() + 86_400_000;
      try {
        const migrated = await createMigrator(db, d, schema).migrateTo(BEFORE);
        assert.equal(migrated.error, undefined, String((migrated.error as Error | undefined)?.stack));
        const now = "2025-01-01 00:00:00.000000";
        await db
          .insertInto("user")
          .values({
            email: "s-tate+old@Sub.x.test",
            email_canonical: canonicalIdentity("s-tate+old@Sub.x.test"),
            active: d === "postgres" ? true : 1,
            fs_uniquifier: `u-${Date.now()}`,
            create_datetime: now,
            update_datetime: now,
          } as never)
          .execute();
        const userId = Number(
          (
            (await db
              .selectFrom("user")
              .select("id" as never)
              .executeTakeFirstOrThrow()) as { id: number }
          ).id,
        );
        const session = (id: string, data: string) => ({
          id,
          token_hash: `h-${id}`.padEnd(64, "0"),
          user_id: userId,
          fs_uniquifier: "u",
          created_at: far - 1000,
          last_active_at: far - 1000,
          expires_at: far,
          authenticated_at: far - 1000,
          grace_expires_at: null,
          remember: d === "postgres" ? false : 0,
          ip: null,
          user_agent: null,
          csrf_secret: "c",
          authn_via: "[]",
          data,
        });
        for (const row of [
          session("a-second-factor", JSON.stringify({ sf: "tf:authenticator", rm: "remember-1" })),
          session("b-code-sign-in", JSON.stringify({ sf: "mf:sms", rotate: true })),
          session("c-plain", "{}"),
          session("d-junk", "not json"),
        ])
          await db
            .insertInto("session")
            .values(row as never)
            .execute();
      } finally {
        await db.destroy();
      }

      const ds = await openDatastore(isolated.url);
      cleanups.push(() => ds.close());
      await ds.migrations.migrateToLatest();
      const read = async (id: string) => {
        const s = await ds.sessions.findById(id);
        return s && { mfaProof: s.mfaProof, rotatePending: s.rotatePending, rememberId: s.rememberId };
      };
      assert.deepEqual(await read("a-second-factor"), {
        mfaProof: { kind: "second-factor", method: "authenticator" },
        rotatePending: false,
        rememberId: "remember-1",
      });
      assert.deepEqual(await read("b-code-sign-in"), {
        mfaProof: { kind: "multi-factor-sign-in", method: "sms" },
        rotatePending: true,
        rememberId: null,
      });
      assert.deepEqual(await read("c-plain"), { mfaProof: null, rotatePending: false, rememberId: null });
      assert.deepEqual(await read("d-junk"), { mfaProof: null, rotatePending: false, rememberId: null });

      // During a rolling upgrade an older instance writes only `data`, and reads only `data`.
      const { db: raw, dialect: d2 } = await openDatabase(isolated.url);
      try {
        const template = (await raw
          .selectFrom("session")
          .selectAll()
          .where("id", "=", "c-plain")
          .executeTakeFirstOrThrow()) as Record<string, unknown>;
        await raw
          .insertInto("session")
          .values({
            ...template,
            id: "e-old-writer",
            token_hash: "e".repeat(64),
            mfa_kind: null,
            mfa_method: null,
            remember_id: null,
            rotate_pending: d2 === "postgres" ? false : 0,
            data: JSON.stringify({ rm: "remember-old", rotate: true, sf: "tf:sms" }),
          } as never)
          .execute();
        assert.deepEqual(await read("e-old-writer"), {
          mfaProof: { kind: "second-factor", method: "sms" },
          rotatePending: true,
          rememberId: "remember-old",
        });
        const fresh = {
          ...(await ds.sessions.findById("c-plain"))!,
          id: "f-new-writer",
          tokenHash: "f".repeat(64),
          mfaProof: { kind: "multi-factor-sign-in" as const, method: "email" as const },
          rememberId: "remember-new",
          rotatePending: false,
        };
        await ds.sessions.create(fresh);
        await ds.sessions.update("f-new-writer", { rotatePending: true });
        const row = await raw
          .selectFrom("session")
          .select("data")
          .where("id", "=", "f-new-writer")
          .executeTakeFirstOrThrow();
        assert.deepEqual(
          JSON.parse((row as { data: string }).data),
          { sf: "mf:email", rm: "remember-new", rotate: true },
          "what an older instance reads",
        );
      } finally {
        await raw.destroy();
      }
    });
  });
}
