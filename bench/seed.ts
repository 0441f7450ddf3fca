/**
 * Seeds the benchmark database (run with tsx, in its own process): migrates, bulk-inserts users up to a total
 * and inserts ready-made sessions, then prints one JSON line. Users share ONE precomputed argon2id hash of the
 * bench password at the server's parameters: hashing 100,000 passwords one by one would take ten minutes and
 * measures nothing the login scenario does not already measure.
 *
 *   node --import tsx bench/seed.ts <database-url> users <total>
 *   node --import tsx bench/seed.ts <database-url> sessions <count> <token-file>
 */
import { randomBytes, createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { sql } from "kysely";
import { createPasswordHasher } from "../src/crypto/passwords/index.js";
import { canonicalIdentity } from "../src/datastore/canonical.js";
import { encodeBool, newUniquifier, toSqlDateTime } from "../src/datastore/kysely/codec.js";
import type { KyselyDatastore } from "../src/datastore/kysely/datastore.js";
import { openDatastore } from "../src/datastore/open.js";

export const BENCH_PASSWORD = "bench-Password-9183";
const BATCH = 500;

export function benchEmail(i: number): string {
  return `user${i}@bench.test`;
}

async function seedUsers(ds: KyselyDatastore, total: number): Promise<Record<string, unknown>> {
  const started = Date.now();
  const have = await ds.users.count();
  // Hashed by the library itself, so the stored PHC string carries exactly the server's default parameters.
  const hash = await createPasswordHasher().hash(BENCH_PASSWORD);
  const now = toSqlDateTime(new Date());
  for (let from = have + 1; from <= total; from += BATCH) {
    const rows = [];
    for (let i = from; i < Math.min(from + BATCH, total + 1); i++) {
      const email = benchEmail(i);
      rows.push({
        email,
        email_canonical: canonicalIdentity(email),
        password: hash,
        active: encodeBool(ds.dialect, true),
        fs_uniquifier: newUniquifier(),
        confirmed_at: now,
        create_datetime: now,
        update_datetime: now,
      });
    }
    await ds.db.insertInto("user").values(rows).execute();
  }
  if (ds.dialect === "postgres") await sql`analyze`.execute(ds.db);
  return { users: await ds.users.count(), seconds: (Date.now() - started) / 1000 };
}

/**
 * Sessions as `startSession` writes them (random 256-bit token, only its SHA-256 stored), one per user, for
 * users 1..count. Their tokens go to `file`, one per line, so the load generator can use each cookie.
 */
async function seedSessions(ds: KyselyDatastore, count: number, file: string): Promise<Record<string, unknown>> {
  const started = Date.now();
  const users = await ds.db.selectFrom("user").select(["id", "fs_uniquifier"]).orderBy("id").limit(count).execute();
  if (users.length < count) throw new Error(`only ${users.length} users for ${count} sessions`);
  const tokens: string[] = [];
  const now = new Date();
  await ds.transaction(async (tx) => {
    for (const u of users) {
      const token = randomBytes(32).toString("base64url");
      tokens.push(token);
      await tx.sessions.create({
        id: randomBytes(16).toString("base64url"),
        tokenHash: createHash("sha256").update(token).digest("hex"),
        userId: Number(u.id),
        fsUniquifier: u.fs_uniquifier,
        createdAt: now,
        lastActiveAt: now,
        expiresAt: new Date(now.getTime() + 86_400_000),
        authenticatedAt: now,
        graceExpiresAt: null,
        remember: false,
        ip: "127.0.0.1",
        userAgent: "rampart-bench",
        csrfSecret: randomBytes(32).toString("base64url"),
        authnVia: ["password"],
        data: {},
      });
    }
  });
  writeFileSync(file, tokens.join("\n") + "\n");
  return { sessions: count, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const [url, what, countText, file] = process.argv.slice(2);
  if (!url || !what || !countText) throw new Error("usage: seed.ts <url> users <total> | sessions <count> <file>");
  const ds = (await openDatastore(url, { migrate: true })) as KyselyDatastore;
  try {
    const count = Number(countText);
    const result = what === "users" ? await seedUsers(ds, count) : await seedSessions(ds, count, file!);
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await ds.close();
  }
}

await main();
