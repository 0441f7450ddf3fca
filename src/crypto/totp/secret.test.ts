import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Secret, URI } from "otpauth";
import { generateTotpSecret, qrCodeDataUrl, secretFromBase32, totpUri } from "./index.js";

describe("TOTP secrets and enrolment", () => {
  it("draws 160-bit secrets: 32 base32 characters, unique over 1000 draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const secret = generateTotpSecret();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(Secret.fromBase32(secret).bytes.length, 20);
      seen.add(secret);
    }
    assert.equal(seen.size, 1000);
  });

  it("decodes base32 leniently (case, spaces, padding) but refuses garbage and short secrets", () => {
    const secret = generateTotpSecret();
    const bytes = Secret.fromBase32(secret).bytes;
    assert.deepEqual(secretFromBase32(secret.toLowerCase()).bytes, bytes);
    assert.deepEqual(secretFromBase32(secret.replace(/(.{4})/g, "$1 ")).bytes, bytes);
    assert.throws(() => secretFromBase32("ABC1DEFG"), TypeError);
    assert.throws(() => secretFromBase32(""), TypeError);
    assert.throws(() => secretFromBase32("JBSWY3DPEHPK3PXP"), /too short/);
  });

  it("builds an otpauth://totp URI carrying issuer, account and secret (SHA1, 6 digits, 30 s)", () => {
    const secret = generateTotpSecret();
    const uri = totpUri({ secret, issuer: "Acme Corp", account: "ann@example.com" });
    assert.ok(uri.startsWith("otpauth://totp/Acme%20Corp:ann%40example.com?"), uri);
    const params = new URL(uri).searchParams;
    assert.equal(params.get("issuer"), "Acme Corp");
    assert.equal(params.get("secret"), secret);
    assert.equal(params.get("algorithm"), "SHA1");
    assert.equal(params.get("digits"), "6");
    assert.equal(params.get("period"), "30");
    const parsed = URI.parse(uri);
    assert.equal(parsed.issuer, "Acme Corp");
    assert.equal(parsed.label, "ann@example.com");
  });

  it("percent-encodes separators in the issuer and account", () => {
    const uri = totpUri({ secret: generateTotpSecret(), issuer: "A:B&C", account: "x?y#z" });
    assert.ok(uri.startsWith("otpauth://totp/A%3AB%26C:x%3Fy%23z?issuer=A%3AB%26C&"), uri);
    assert.throws(() => totpUri({ secret: generateTotpSecret(), issuer: "", account: "a" }), TypeError);
    assert.throws(() => totpUri({ secret: generateTotpSecret(), issuer: "I", account: "" }), TypeError);
  });

  it("renders the URI as a PNG data URL", async () => {
    const url = await qrCodeDataUrl(totpUri({ secret: generateTotpSecret(), issuer: "Acme", account: "ann" }));
    assert.match(url, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const png = Buffer.from(url.slice(url.indexOf(",") + 1), "base64");
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
