import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { describe, test } from "node:test";
import { closeHashThreads, HASH_THREAD_NICE, hashThreadStats, setHashThreadIdleTimeout } from "./hash-threads.js";
import { createPasswordHasher } from "./index.js";

/** Nice value of every thread of this process, from /proc (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return nices;
}

describe("hash threads", () => {
  test(
    "hashes run on threads at the lowest priority; the main thread keeps its own",
    { skip: process.platform !== "linux" },
    async () => {
      const before = getPriority(0);
      const hasher = createPasswordHasher({ maxConcurrent: 2 });
      const stored = await hasher.hash("pw-12345");
      const bstored = await createPasswordHasher({ scheme: "bcrypt", bcryptCost: 4 }).hash("pw-12345");
      assert.equal((await hasher.verify("pw-12345", bstored)).valid, true);
      assert.equal((await hasher.verify("pw-12345", stored)).valid, true);
      const niced = [...threadNices().values()].filter((n) => n === HASH_THREAD_NICE);
      assert.ok(niced.length >= 1, `threads: ${JSON.stringify([...threadNices()])}`);
      assert.equal(getPriority(0), before);
      assert.equal(threadNices().get(process.pid), before);
    },
  );

  test("after closeHashThreads, hashing starts new threads and still works", async () => {
    const hasher = createPasswordHasher();
    const stored = await hasher.hash("pw-12345");
    await closeHashThreads();
    assert.deepEqual(await hasher.verify("pw-12345", stored), { valid: true, needsRehash: false });
    assert.equal((await hasher.verify("pw-12346", stored)).valid, false);
  });

  test("a process that hashed exits on its own (idle hash threads do not hold it open)", () => {
    const url = new URL("./index.ts", import.meta.url).href;
    const script = `const { createPasswordHasher } = await import(${JSON.stringify(url)});
      const h = createPasswordHasher();
      const s = await h.hash("pw-12345");
      console.log((await h.verify("pw-12345", s)).valid);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(r.signal, null, "timed out: the process did not exit");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "true");
  });
});

describe("idle hash threads", () => {
  test("end after the idle timeout (their memory returns) and come back for the next hash", async () => {
    setHashThreadIdleTimeout(200);
    try {
      const hasher = createPasswordHasher({ maxConcurrent: 2 });
      const stored = await hasher.hash("pw-12345");
      await Promise.all([hasher.verify("pw-12345", stored), hasher.verify("pw-12345", stored)]);
      assert.ok(hashThreadStats().threads >= 1);
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(hashThreadStats(), { threads: 0, busy: 0 });
      assert.deepEqual(await hasher.verify("pw-12345", stored), { valid: true, needsRehash: false });
      assert.equal(hashThreadStats().threads, 1);
    } finally {
      setHashThreadIdleTimeout(30_000);
    }
  });
});
