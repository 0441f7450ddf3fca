import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HashingOptionsError, HasherBusyError } from "../errors.js";
import { createPasswordHasher, defaultPasswordHashingOptions, normalizePassword } from "./index.js";

// Vectors here are made by Rampart itself and only check its own round trips and policies; compatibility with
// Flask-Security hashes is checked against independently generated vectors in verify-vectors.test.ts.

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

describe("defaults and options", () => {
  test("defaults match the documented policy", () => {
    assert.deepEqual(defaultPasswordHashingOptions, {
      scheme: "argon2",
      argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      bcryptCost: 12,
      salt: null,
      normalizeForm: "NFKD",
      maxConcurrent: 2,
      maxQueue: 256,
      maxQueuedPerKey: 32,
      maxPasswordLength: 1024,
    });
  });

  test("invalid options are refused with HashingOptionsError", () => {
    assert.throws(() => createPasswordHasher({ bcryptCost: 3 }), HashingOptionsError);
    assert.throws(() => createPasswordHasher({ salt: "" }), HashingOptionsError);
    assert.throws(() => createPasswordHasher({ maxConcurrent: 0 }), HashingOptionsError);
    assert.throws(
      () => createPasswordHasher({ argon2: { memoryCost: 4, timeCost: 2, parallelism: 1 } }),
      HashingOptionsError,
    );
    assert.throws(() => createPasswordHasher({ scheme: "md5" as "argon2" }), HashingOptionsError);
  });

  test("normalizePassword applies the form, or nothing for null", () => {
    assert.equal(normalizePassword("caf\u00e9", "NFKD"), "cafe\u0301");
    assert.equal(normalizePassword("cafe\u0301", "NFC"), "caf\u00e9");
    assert.equal(normalizePassword("\ufb01", "NFKC"), "fi");
    assert.equal(normalizePassword("caf\u00e9", null), "caf\u00e9");
  });
});

describe("new hashes", () => {
  for (const salt of [null, "salty"]) {
    test(`argon2id with current parameters, random salt (salt=${salt})`, async () => {
      const hasher = createPasswordHasher({ salt });
      const a = await hasher.hash("correct horse");
      const b = await hasher.hash("correct horse");
      assert.ok(a.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), a);
      assert.notEqual(a, b);
      assert.deepEqual(await hasher.verify("correct horse", a), { valid: true, needsRehash: false });
      assert.deepEqual(await hasher.verify("correct horse", b), { valid: true, needsRehash: false });
      assert.equal((await hasher.verify("correct horsE", a)).valid, false);
    });
  }

  test("the salt setting changes the hash input", async () => {
    const stored = await createPasswordHasher({ salt: "salty" }).hash("pw-12345");
    assert.equal((await createPasswordHasher({ salt: null }).verify("pw-12345", stored)).valid, false);
    assert.equal((await createPasswordHasher({ salt: "other" }).verify("pw-12345", stored)).valid, false);
  });

  test("bcrypt scheme", async () => {
    for (const salt of [null, "salty"]) {
      const hasher = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 4, salt });
      const stored = await hasher.hash("pw-12345");
      assert.match(stored, /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
      assert.deepEqual(await hasher.verify("pw-12345", stored), { valid: true, needsRehash: false });
      assert.equal((await hasher.verify("pw-12346", stored)).valid, false);
    }
  });

  test("a 100-char password's first 72 chars do not verify against its argon2 hash", async () => {
    const long = "abcdefghij".repeat(10);
    for (const salt of [null, "salty"]) {
      const hasher = createPasswordHasher({ salt });
      const stored = await hasher.hash(long);
      assert.equal((await hasher.verify(long, stored)).valid, true);
      assert.equal((await hasher.verify(long.slice(0, 72), stored)).valid, false);
    }
  });
});

describe("needsRehash", () => {
  test("argon2 parameters or scheme differing from the configuration", async () => {
    const weak = createPasswordHasher({ argon2: { memoryCost: 8192, timeCost: 1, parallelism: 1 } });
    const current = createPasswordHasher();
    const old = await weak.hash("pw-12345");
    assert.deepEqual(await weak.verify("pw-12345", old), { valid: true, needsRehash: false });
    assert.deepEqual(await current.verify("pw-12345", old), { valid: true, needsRehash: true });
    const bcrypt = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 4 });
    assert.deepEqual(await bcrypt.verify("pw-12345", await current.hash("pw-12345")), {
      valid: true,
      needsRehash: true,
    });
    const bcrypt5 = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 5 });
    assert.deepEqual(await bcrypt5.verify("pw-12345", await bcrypt.hash("pw-12345")), {
      valid: true,
      needsRehash: true,
    });
    assert.deepEqual(await current.verify("wrong", old), { valid: false, needsRehash: false });
  });
});

describe("refusals and malformed input", () => {
  test("over-long passwords are refused without hashing", async () => {
    const hasher = createPasswordHasher();
    const huge = "x".repeat(1024 * 1024);
    const stored = await hasher.hash("x".repeat(1024)); // exactly the limit is fine
    // Refused before a hash job starts: none is running or queued while the refusals are under way.
    const refusals = [hasher.verify(huge, stored), hasher.verify("x".repeat(1025), stored), hasher.dummyVerify(huge)];
    assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
    const [a, b] = await Promise.all(refusals);
    assert.deepEqual(a, { valid: false, needsRehash: false });
    assert.deepEqual(b, { valid: false, needsRehash: false });
    await assert.rejects(hasher.hash(huge), TypeError);
    await assert.rejects(hasher.hash("x".repeat(1025)), TypeError);
    assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
  });

  test("null, unknown and corrupt stored hashes are false, never thrown, never plaintext", async () => {
    const hasher = createPasswordHasher();
    const bad = [
      null,
      "",
      "password",
      "$argon2id$",
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
      "$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8",
      "$2b$05$short",
      "$2b$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$pbkdf2-sha256$0$c2FsdA$AAAA",
      "$pbkdf2-sha256$29000$c2F*dA$G/O7bynZBig0xpI9OJ2.zH5iXh/vIAuDcj9JVCTUa3k",
      "$pbkdf2-sha256$99999999999$c2FsdA$G/O7bynZBig0xpI9OJ2.zH5iXh/vIAuDcj9JVCTUa3k",
      "$6$rounds=999999999$salt$" + "a".repeat(86),
      "$6$rounds=10$salt$" + "a".repeat(86),
      "$6$salt$tooshort",
      "$6$salt:with:colons$" + "a".repeat(86),
      "$5$" + "s".repeat(17) + "$" + "a".repeat(43),
      "$1$md5crypt$abcdefghijklmnopqrstuv",
      "x".repeat(5000),
    ];
    for (const stored of bad) {
      for (const password of ["password", stored ?? "x"]) {
        const result = await hasher.verify(password, stored);
        assert.deepEqual(result, { valid: false, needsRehash: false }, String(stored));
      }
    }
  });
});

describe("concurrency cap", () => {
  test("maxConcurrent 1, maxQueue 2: of 5 verifies fired at once, 2 are refused, 3 succeed", async () => {
    const hasher = createPasswordHasher({ maxConcurrent: 1, maxQueue: 2 });
    const stored = await hasher.hash("pw-12345");
    const calls = Array.from({ length: 5 }, () => hasher.verify("pw-12345", stored));
    assert.deepEqual(hasher.stats(), { running: 1, queued: 2 });
    const settled = await Promise.allSettled(calls);
    const refused = settled.filter((s) => s.status === "rejected");
    const done = settled.filter((s) => s.status === "fulfilled");
    assert.ok(refused.length >= 2, `refused ${refused.length}`);
    for (const r of refused) assert.ok(r.reason instanceof HasherBusyError);
    for (const d of done) assert.deepEqual(d.value, { valid: true, needsRehash: false });
    assert.equal(refused.length + done.length, 5);
    assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
  });

  test("hash() is refused too when the queue is full, and the queue drains in order", async () => {
    const hasher = createPasswordHasher({ maxConcurrent: 1, maxQueue: 1 });
    const order: number[] = [];
    const first = hasher.hash("one-1234").then(() => order.push(1));
    const second = hasher.hash("two-1234").then(() => order.push(2));
    await assert.rejects(hasher.hash("three-12"), HasherBusyError);
    await Promise.all([first, second]);
    assert.deepEqual(order, [1, 2]);
  });
});

describe("dummyVerify", () => {
  test("goes through the same queue as a real verify", async () => {
    const hasher = createPasswordHasher({ maxConcurrent: 1, maxQueue: 0 });
    const dummy = hasher.dummyVerify("pw-12345");
    assert.deepEqual(hasher.stats(), { running: 1, queued: 0 });
    await assert.rejects(hasher.verify("pw-12345", null), HasherBusyError);
    await dummy;
    assert.deepEqual(hasher.stats(), { running: 0, queued: 0 });
  });

  test("takes comparable time to a real argon2 verify (within 3x)", async () => {
    const hasher = createPasswordHasher({ maxConcurrent: 1 });
    const stored = await hasher.hash("pw-12345");
    await hasher.dummyVerify("warm-up1"); // makes the lazy dummy hash
    const real: number[] = [];
    const dummy: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) {
      real.push(await timed(() => hasher.verify("wrong-pw", stored)));
      dummy.push(await timed(() => hasher.dummyVerify("wrong-pw")));
      missing.push(await timed(() => hasher.verify("wrong-pw", null)));
    }
    const r = median(real);
    for (const [label, xs] of [
      ["dummyVerify", dummy],
      ["verify(null)", missing],
    ] as const) {
      const m = median(xs);
      assert.ok(m > r / 3 && m < r * 3, `${label} ${m.toFixed(1)} ms vs real verify ${r.toFixed(1)} ms`);
    }
  });
});
