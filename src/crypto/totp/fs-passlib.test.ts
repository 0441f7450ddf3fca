import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { oathtool, oathtoolSkip } from "../../../test/helpers/totp-clock.js";
import { readFileSync } from "node:fs";
import { createSecretBox } from "./index.js";

/**
 * Flask-Security's stored TOTP secrets, written by the real passlib (fixtures/gen-fs-totp.py), open to the
 * key passlib reads from them; codes come from oathtool, independent of both.
 */
interface Vector {
  name: string;
  value: string;
  tag: string;
  key: string;
  code: string;
}
interface Fixture {
  secrets: Record<string, string>;
  at: number;
  vectors: Vector[];
  usTotpSecrets: { value: string; methods: Record<string, Vector> };
  wrongWallet: { secrets: Record<string, string>; value: string; passlibKey: string };
  refused: { name: string; value: string }[];
}
const FS_VECTORS = JSON.parse(
  readFileSync(new URL("./fixtures/fs-totp-vectors.json", import.meta.url), "utf8"),
) as Fixture;

const skip = oathtoolSkip;

const { secrets, at, vectors, usTotpSecrets, wrongWallet, refused } = FS_VECTORS;
const box = createSecretBox(secrets);
const all = [...vectors, ...Object.values(usTotpSecrets.methods)];

function edit(value: string, change: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(value) as Record<string, any>;
  change(doc);
  return JSON.stringify(doc);
}

describe("SecretBox reads Flask-Security (passlib) TOTP secrets", () => {
  it("opens every FS value to passlib's key, whose oathtool code is passlib's code", { skip }, () => {
    assert.ok(
      vectors.some((v) => v.tag === "1") && vectors.some((v) => v.tag === "2"),
      "covers an older and the current key",
    );
    for (const v of all) {
      assert.equal(box.open(v.value), v.key, v.name);
      assert.equal(oathtool(v.key, at), v.code, v.name);
    }
  });

  it("opens each method of us_totp_secrets (a JSON object method → FS value)", () => {
    const stored = JSON.parse(usTotpSecrets.value) as Record<string, string>;
    assert.deepEqual(Object.keys(stored).sort(), ["authenticator", "email", "sms"]);
    for (const [method, value] of Object.entries(stored))
      assert.equal(box.open(value), usTotpSecrets.methods[method]!.key, method);
  });

  it("marks FS values for resealing; the resealed rt1 value opens to the same key and needs none", () => {
    for (const v of all) {
      assert.equal(box.needsReseal(v.value), true, v.name);
      const resealed = box.seal(box.open(v.value)!);
      assert.match(resealed, /^rt1:2:/);
      assert.equal(box.open(resealed), v.key);
      assert.equal(box.needsReseal(resealed), false);
    }
  });

  it("refuses formats no released FS wrote: plaintext JSON, bare base32, non-default TOTP parameters", () => {
    assert.deepEqual(
      refused.map((r) => r.name),
      ["unencrypted-json", "plain-base32-pre-3.2", "digits-8", "sha256", "period-60"],
    );
    for (const r of refused) assert.equal(box.open(r.value), null, r.name);
  });

  it("returns null for an unknown key id, never throwing", () => {
    const older = vectors.find((v) => v.tag === "1")!;
    const current = vectors.find((v) => v.tag === "2")!;
    assert.equal(createSecretBox({ "1": secrets["1"]! }).open(current.value), null, "tag 2 not configured");
    assert.equal(createSecretBox({ "2": secrets["2"]! }).open(older.value), null, "tag 1 no longer configured");
    assert.equal(box.open(edit(current.value, (d) => (d.enckey.t = "3"))), null);
    assert.equal(box.open(edit(current.value, (d) => (d.enckey.t = 2))), null, "tags are strings");
  });

  it("returns null for malformed or structurally tampered values", () => {
    const v = vectors[0]!.value;
    const k = (JSON.parse(v) as { enckey: { k: string } }).enckey.k;
    const bad = [
      "{",
      "{}",
      "[]",
      '{"type":"totp","v":1}',
      edit(v, (d) => (d.type = "hotp")),
      edit(v, (d) => (d.v = 2)),
      edit(v, (d) => (d.enckey.v = 2)),
      edit(v, (d) => (d.enckey.c = 17)),
      edit(v, (d) => (d.enckey.c = -1)),
      edit(v, (d) => (d.enckey.c = "14")),
      edit(v, (d) => (d.enckey.c = 13.5)),
      edit(v, (d) => (d.enckey.k = k.slice(0, 16))),
      edit(v, (d) => (d.enckey.k = `${k}====`)),
      edit(v, (d) => (d.enckey.k = k.slice(0, -1))),
      edit(v, (d) => (d.enckey.k = `${k}AAAAAAAA`)),
      edit(v, (d) => (d.enckey.s = "AAAAAAAAAAAAAAAA")),
      edit(v, (d) => (d.enckey.k = k.replace(/.$/, "1"))),
      edit(v, (d) => (d.enckey.s = "")),
      edit(v, (d) => (d.enckey.extra = 1)),
      edit(v, (d) => delete d.enckey.s),
      edit(v, (d) => (d.extra = 1)),
      edit(v, (d) => (d.key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")),
      edit(v, (d) => (d.enckey = "x")),
      `${v} `.padEnd(20_000, " "),
    ];
    for (const value of bad) assert.equal(box.open(value), null, value.slice(0, 200));
    assert.equal(
      box.open(edit(v, (d) => (d.enckey.k = k.toLowerCase()))),
      vectors[0]!.key,
      "passlib's base32 is case-insensitive",
    );
    assert.equal(
      box.open(edit(v, (d) => ((d.label = "alice"), (d.issuer = "Other")))),
      vectors[0]!.key,
      "labels do not change the key",
    );
  });

  it(
    "cannot detect a wrong secret or a flipped ciphertext bit (passlib's CTR has no MAC): the key differs, so codes fail",
    { skip },
    () => {
      const real = vectors[0]!;
      const wrong = createSecretBox(wrongWallet.secrets).open(wrongWallet.value);
      assert.equal(wrong, wrongWallet.passlibKey, "passlib decrypts to the same wrong key");
      assert.notEqual(wrong, real.key);
      assert.notEqual(oathtool(wrong!, at), real.code);
      const k = (JSON.parse(real.value) as { enckey: { k: string } }).enckey.k;
      const flipped = box.open(edit(real.value, (d) => (d.enckey.k = (k[0] === "A" ? "B" : "A") + k.slice(1))));
      assert.ok(flipped !== null && flipped !== real.key);
      assert.notEqual(oathtool(flipped, at), real.code);
    },
  );

  it("still seals and opens rt1 with the FS wallet", () => {
    const sealed = box.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    assert.equal(box.open(sealed), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    assert.equal(box.open(`{${sealed}`), null);
  });
});
