import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPayloadBox } from "./payload-box.js";

describe("payload box (AES-256-GCM under a key derived from the secret key)", () => {
  const box = createPayloadBox("secret-one-0123456789abcdef0123456789", [], "outbox");

  it("opens what it sealed, for the same row only; the sealed text does not contain the plaintext", () => {
    const text = JSON.stringify({ link: "https://app.test/reset/abc.def" });
    const sealed = box.seal(text, "row-1");
    assert.ok(!sealed.includes("reset"));
    assert.notEqual(box.seal(text, "row-1"), sealed, "a fresh IV each time");
    assert.equal(box.open(sealed, "row-1"), text);
    assert.equal(box.open(sealed, "row-2"), null, "bound to its row");
  });

  it("refuses tampered, truncated and foreign values; old keys still open after a rotation", () => {
    const sealed = box.seal("hello", "r");
    const flipped = sealed.slice(0, -2) + (sealed.endsWith("A") ? "B" : "A") + sealed.slice(-1);
    assert.equal(box.open(flipped, "r"), null);
    assert.equal(box.open("v1.AAAA", "r"), null);
    assert.equal(box.open("v2." + sealed.slice(3), "r"), null);
    assert.equal(box.open("garbage", "r"), null);
    assert.equal(createPayloadBox("another-secret-0123456789abcdef01234", [], "outbox").open(sealed, "r"), null);
    assert.equal(createPayloadBox("secret-one-0123456789abcdef0123456789", [], "other").open(sealed, "r"), null);
    const rotated = createPayloadBox(
      "new-secret-0123456789abcdef0123456789",
      ["secret-one-0123456789abcdef0123456789"],
      "outbox",
    );
    assert.equal(rotated.open(sealed, "r"), "hello");
  });
});
