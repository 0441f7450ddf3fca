import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reencodeLastChar } from "../../test/helpers/noncanonical.js";
import { createTokenSigner } from "./signed-token.js";

describe("signed tokens accept only their canonical spelling", () => {
  const signer = createTokenSigner("k".repeat(40));
  const token = signer.sign("p", { a: 1 }, 1000);
  const [body, sig] = token.split(".") as [string, string];

  it("the canonical token verifies", () => {
    assert.equal(signer.verify("p", token, { nowSeconds: 1000 }).ok, true);
  });

  it("a re-encoded signature (same bytes, other characters) is refused", () => {
    const variant = `${body}.${reencodeLastChar(sig)}`;
    assert.notEqual(variant, token);
    assert.deepEqual(
      Buffer.from(reencodeLastChar(sig), "base64url"),
      Buffer.from(sig, "base64url"),
      "the decoder reads the same bytes",
    );
    assert.deepEqual(signer.verify("p", variant, { nowSeconds: 1000 }), { ok: false, reason: "invalid" });
  });

  it("padding, the standard base64 alphabet, or stray characters in the signature are refused", () => {
    const std = sig.replace(/-/g, "+").replace(/_/g, "/");
    const variants = [
      `${sig}=`,
      `${sig}==`,
      ` ${sig}`,
      `${sig.slice(0, 10)}!${sig.slice(10)}`,
      `${sig.slice(0, 10)}\n${sig.slice(10)}`,
    ];
    if (std !== sig) variants.push(std);
    for (const v of variants) {
      assert.deepEqual(
        signer.verify("p", `${body}.${v}`, { nowSeconds: 1000 }),
        { ok: false, reason: "invalid" },
        JSON.stringify(v),
      );
    }
  });

  it("a verified token names its single-use marker: the same for the token, whatever else was presented", () => {
    const verified = signer.verify("p", token, { nowSeconds: 1000 });
    assert.ok(verified.ok);
    assert.equal(typeof verified.marker, "string");
    const again = signer.verify("p", token, { nowSeconds: 1001 });
    assert.ok(again.ok);
    assert.equal(again.marker, verified.marker);
    const other = signer.verify("p", signer.sign("p", { a: 1 }, 1001), { nowSeconds: 1001 });
    assert.ok(other.ok);
    assert.notEqual(other.marker, verified.marker);
  });
});
