import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createTokenSigner } from "../crypto/signed-token.js";
import { defineCodec } from "./codec.js";
import type { Runtime } from "./runtime.js";

/** A codec reads only what its schema says: a value signed with the right key but the wrong shape is refused. */
describe("signed-value codecs", () => {
  let now = 1_800_000_000_000;
  const rt = {
    signer: createTokenSigner("k".repeat(40)),
    now: () => new Date(now),
    config: { clock: { futureToleranceSeconds: 60 } },
  } as unknown as Runtime;
  const codec = defineCodec({
    purpose: "test-purpose",
    maxAgeSeconds: () => 60,
    wire: z.object({ u: z.string(), n: z.number().int() }),
    encode: (v: { user: string; count: number }) => ({ u: v.user, n: v.count }),
    decode: (w) => ({ user: w.u, count: w.n }),
  });

  it("round-trips a typed value and keeps the wire names inside", () => {
    const token = codec.seal(rt, { user: "a-b+c@x.test", count: 3 });
    const opened = codec.open(rt, token);
    assert.deepEqual(opened.ok && opened.value, { user: "a-b+c@x.test", count: 3 });
    assert.equal(opened.ok && opened.issuedAtSeconds, Math.floor(now / 1000));
    const wire = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8"));
    assert.equal(wire.u, "a-b+c@x.test");
  });

  it("refuses a payload of the wrong shape even with a good signature, another purpose, garbage and old values", () => {
    const forged = rt.signer.sign("test-purpose", { u: 42, n: "3" }, Math.floor(now / 1000));
    assert.deepEqual(codec.open(rt, forged), { ok: false, reason: "invalid" });
    const other = rt.signer.sign("another-purpose", { u: "x", n: 1 }, Math.floor(now / 1000));
    assert.deepEqual(codec.open(rt, other), { ok: false, reason: "invalid" });
    for (const junk of [undefined, null, "", 12, {}, "a.b", "x".repeat(10_000)])
      assert.equal(codec.open(rt, junk).ok, false);
    const token = codec.seal(rt, { user: "u", count: 1 });
    now += 61_000;
    assert.deepEqual(codec.open(rt, token), { ok: false, reason: "expired" });
  });
});
