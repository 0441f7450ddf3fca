import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSecretBox, generateTotpSecret } from "./index.js";

const K1 = "a".repeat(32);
const K2 = "b".repeat(40);
const FORMAT = /^rt1:([A-Za-z0-9_.-]+):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;

function flip(text: string, at: number): string {
  const c = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe("TOTP secret box", () => {
  it("round-trips with a fresh IV each time, in the rt1 format", () => {
    const box = createSecretBox({ "1": K1 });
    const secret = generateTotpSecret();
    const a = box.seal(secret);
    const b = box.seal(secret);
    assert.match(a, FORMAT);
    assert.equal(FORMAT.exec(a)![1], "1");
    assert.notEqual(a, b);
    assert.ok(!a.includes(secret));
    assert.equal(box.open(a), secret);
    assert.equal(box.open(b), secret);
    assert.equal(box.open(box.seal("")), "");
    assert.equal(box.open(box.seal("ünï©ødé")), "ünï©ødé");
    assert.equal(box.needsReseal(a), false);
  });

  it("rotates: the highest id seals, every id opens, older values need resealing", () => {
    const old = createSecretBox({ "1": K1 });
    const sealedOld = old.seal("SECRET");
    const rotated = createSecretBox({ "1": K1, "2": K2 });
    assert.equal(rotated.currentKeyId, "2");
    assert.equal(rotated.open(sealedOld), "SECRET");
    assert.equal(rotated.needsReseal(sealedOld), true);
    const resealed = rotated.seal(rotated.open(sealedOld)!);
    assert.equal(FORMAT.exec(resealed)![1], "2");
    assert.equal(rotated.needsReseal(resealed), false);
    assert.equal(old.open(resealed), null, "a box without the new key cannot open it");
  });

  it("compares numeric ids as numbers, others as strings", () => {
    assert.equal(createSecretBox({ "9": K1, "10": K2 }).currentKeyId, "10");
    assert.equal(createSecretBox({ "10": K1, "9": K2, "2": K1 }).currentKeyId, "10");
    assert.equal(createSecretBox({ a: K1, b: K2 }).currentKeyId, "b");
    assert.equal(createSecretBox({ "2024-01": K1, "2025-06": K2 }).currentKeyId, "2025-06");
  });

  it("returns null on any tampering, never throwing", () => {
    const box = createSecretBox({ "1": K1 });
    const sealed = box.seal(generateTotpSecret());
    const [, , iv, ct, tag] = sealed.split(":") as [string, string, string, string, string];
    const prefixLength = "rt1:1:".length;
    const tampered = [
      flip(sealed, prefixLength + 1),
      flip(sealed, prefixLength + iv.length + 3),
      flip(sealed, sealed.length - 2),
      `rt1:1:${iv}:${ct.slice(0, -2)}:${tag}`,
      `rt1:1:${iv}:${ct}`,
      `rt1:1:${iv}:${ct}:${tag}:x`,
      `rt2:1:${iv}:${ct}:${tag}`,
      `rt1:1:${iv}:${ct}:${tag.slice(0, -1)}`,
      `rt1:1:${iv}:${ct}=:${tag}`,
      `rt1:1:${iv}:${ct}:${tag.replace(/.$/, "+")}`,
      "",
      "garbage",
      ":::::",
    ];
    for (const value of tampered) assert.equal(box.open(value), null, value);
    assert.equal(box.open(null as unknown as string), null);
    assert.equal(box.open(42 as unknown as string), null);
    assert.equal(box.needsReseal("garbage"), true);
  });

  it("returns null for an unknown key id or the wrong key under the same id", () => {
    const box = createSecretBox({ "1": K1 });
    const sealed = box.seal("SECRET");
    assert.equal(createSecretBox({ "2": K1 }).open(sealed), null, "unknown id");
    assert.equal(createSecretBox({ "1": K2 }).open(sealed), null, "wrong key");
    assert.equal(box.open(sealed.replace(/^rt1:1:/, "rt1:2:")), null, "id relabelled");
    const two = createSecretBox({ "1": K1, "2": K1 });
    assert.equal(two.open(sealed.replace(/^rt1:1:/, "rt1:2:")), null, "the id is bound to the ciphertext");
  });

  it("refuses short keys, bad ids and an empty key set without echoing the secret", () => {
    assert.throws(
      () => createSecretBox({ "1": "short-secret-value" }),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.ok(!e.message.includes("short-secret-value"));
        assert.match(e.message, /"1".*32 bytes/);
        return true;
      },
    );
    assert.throws(() => createSecretBox({ "1": K1, "2": "x".repeat(31) }), TypeError);
    assert.throws(() => createSecretBox({}), TypeError);
    assert.throws(() => createSecretBox({ "a:b": K1 }), TypeError);
    assert.throws(() => createSecretBox({ "": K1 }), TypeError);
    assert.doesNotThrow(() => createSecretBox({ "1": "é".repeat(16) }), "32 bytes in UTF-8");
  });
});
