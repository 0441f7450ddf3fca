import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig, type RampartConfigInput } from "../config/index.js";
import type { Logger } from "../runtime.js";
import { checkNewPassword } from "./password.js";
import { passwordScore, withoutContextWords } from "./zxcvbn.js";

function rtWith(password: RampartConfigInput["password"]) {
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return { config: resolveConfig({ secretKey: "x".repeat(40), password }), logger };
}

describe("password policy: zxcvbn complexity", () => {
  const rt = rtWith({ complexityChecker: "zxcvbn", zxcvbnMinimumScore: 3 });

  it('"password1234567" is too simple', async () => {
    assert.ok(passwordScore("password1234567") < 3);
    assert.deepEqual(await checkNewPassword(rt, "password1234567", {}), [{ code: "PASSWORD_TOO_SIMPLE" }]);
  });

  it('"alice.smith2024!!" is too simple for alice.smith@x.test (score 3 required), fine for someone else', async () => {
    const context = { email: "alice.smith@x.test" };
    assert.deepEqual(await checkNewPassword(rt, "alice.smith2024!!", context), [{ code: "PASSWORD_TOO_SIMPLE" }]);
    assert.deepEqual(await checkNewPassword(rt, "ALICE.Smith2024!!", context), [{ code: "PASSWORD_TOO_SIMPLE" }]);
    assert.deepEqual(await checkNewPassword(rt, "alice.smith2024!!", { email: "bob@x.test" }), []);
  });

  it("the username is context too", async () => {
    assert.deepEqual(await checkNewPassword(rt, "Zephyrine2024!!", { username: "Zephyrine" }), [
      { code: "PASSWORD_TOO_SIMPLE" },
    ]);
    assert.deepEqual(await checkNewPassword(rt, "Zephyrine2024!!", { username: "Bob" }), []);
  });

  it('"correct horse battery staple pony" is fine, with or without context', async () => {
    assert.deepEqual(await checkNewPassword(rt, "correct horse battery staple pony", {}), []);
    assert.deepEqual(
      await checkNewPassword(rt, "correct horse battery staple pony", {
        email: "alice.smith@x.test",
        username: "alice",
      }),
      [],
    );
  });

  it("l33t variants of common passwords are still caught", async () => {
    assert.deepEqual(await checkNewPassword(rt, "P@ssw0rd2024!", {}), [{ code: "PASSWORD_TOO_SIMPLE" }]);
  });

  it("honours zxcvbnMinimumScore", async () => {
    const lenient = rtWith({ complexityChecker: "zxcvbn", zxcvbnMinimumScore: 0 });
    assert.deepEqual(await checkNewPassword(lenient, "password1234567", {}), []);
  });

  // Matching is super-linear in the length: a very long password must still be scored, not hang the server
  // (zxcvbn-ts scores a bounded prefix). How fast is a benchmark's business; the bound here only catches a hang.
  it("scores a very long random password instead of hanging", { timeout: 60_000 }, () => {
    const pw = "kQ8#vL2!xZ9$mN4&pR7*tW1^yB6(cD3)fG5_hJ0+".repeat(250);
    assert.equal(passwordScore(pw, ["alice.smith@x.test"]), 4);
  });

  it("withoutContextWords removes context words case-insensitively", () => {
    assert.equal(withoutContextWords("ALICE.smith2024!!", ["alice.smith"]), "2024!!");
    assert.equal(withoutContextWords("al-al-al", ["al"]), "al-al-al"); // too short to strip
  });

  it("withoutContextWords takes every printable ASCII character, and any Unicode, literally", () => {
    // Each character an address or username may hold, including those that are special in a pattern.
    const chars = [
      ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
      "é",
      "ß",
      "İ",
      "σ",
      "ж",
      "名",
      "😀",
      "\u0301",
    ];
    for (const ch of chars) {
      const word = `ab${ch}cd`;
      assert.equal(withoutContextWords(`X${word}Y`, [word]), "XY", JSON.stringify(ch));
      assert.equal(withoutContextWords("ab☃cd", [word]), "ab☃cd", `${JSON.stringify(ch)} matches only itself`);
    }
  });

  it("the context rule holds for addresses with -, +, dots, _, ', digits, upper case, Unicode and long local parts", async () => {
    const addresses = [
      "mary-jane@x-y.test",
      "bob+tag@mail.example.com",
      "first.middle.last@sub.domain.test",
      "under_score@x.test",
      "o'connor@x.test",
      "agent007@x.test",
      "Mixed.CASE-Name@Example.TEST",
      "zoë.ñandú@exämple.test",
      "жанна@пример.test",
      `${"long-local.part_".repeat(4)}end@x.test`,
      "weird{}[]()^$|?*\\/@x.test",
    ];
    for (const email of addresses) {
      const local = email.slice(0, email.lastIndexOf("@"));
      const weak = `${local}2024!!`;
      assert.deepEqual(await checkNewPassword(rt, weak, { email }), [{ code: "PASSWORD_TOO_SIMPLE" }], email);
      assert.deepEqual(
        await checkNewPassword(rt, "vivid lanterns orbit quietly", { email, username: local }),
        [],
        email,
      );
    }
  });
});

describe("zxcvbn loads on first use", () => {
  it("a started Rampart has loaded neither zxcvbn nor (without a Redis URL) ioredis; scoring loads zxcvbn", () => {
    const root = new URL("../../", import.meta.url).href;
    const script = `
      import { createRequire } from "node:module";
      const { createRampart } = await import(${JSON.stringify(root + "create-rampart.ts")});
      const { passwordScore } = await import(${JSON.stringify(root + "core/policy/zxcvbn.ts")});
      const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(name));
      const rampart = await createRampart({ config: { secretKey: "x".repeat(40) }, database: "sqlite::memory:", migrations: "auto" });
      const before = { zxcvbn: loaded("@zxcvbn-ts"), ioredis: loaded("/ioredis/") };
      const score = passwordScore("correct horse battery staple");
      console.log(JSON.stringify({ before, after: loaded("@zxcvbn-ts"), score }));
      await rampart.close();`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    assert.deepEqual(out.before, { zxcvbn: false, ioredis: false });
    assert.equal(out.after, true);
    assert.ok(out.score >= 3);
  });
});
