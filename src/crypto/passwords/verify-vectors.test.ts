import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { verify as bcryptVerify } from "@node-rs/bcrypt";
import { createPasswordHasher } from "./index.js";
import { fsPrehash } from "./prehash.js";

// Test vectors made with tools independent of Rampart, by `/usr/bin/python3 src/crypto/passwords/gen-vectors.py`
// (Debian 12): argon2id/i/d with the `argon2` CLI (salt "saltsaltsaltsalt"), $2y$ bcrypt with
// `htpasswd -bnBC 5`, $2a$/$2b$ bcrypt with python3-bcrypt, passlib pbkdf2 with hashlib.pbkdf2_hmac + ab64
// (standard base64, '+' -> '.', no padding), $5$/$6$ with Python's crypt.crypt (glibc crypt(3)).
// "*_plain": the password "password" hashed directly (no SECURITY_PASSWORD_SALT).
// "*_fs": Flask-Security's double hash with SECURITY_PASSWORD_SALT = "salty": the tool was fed
// V.prehash = base64(HMAC-SHA512("salty", "password")) from Python's hmac/hashlib (its first 72 chars for bcrypt,
// as FS 5.7+ does). The script cross-checks every vector with passlib 1.7.4 replaying FS 5.x verify_password.
// argon2id_passlib_defaults_fs has the parameters FS 5.x writes by default (passlib 1.7.4 + argon2-cffi:
// m=102400,t=2,p=8); argon2id_m512_* are older low-memory ones. bcrypt_2y_fs_untruncated: htpasswd fed all 88
// pre-hash chars, as FS < 5.7 did. The bcrypt and htpasswd salts are random, so re-running the script changes them.
const V = {
  prehash: "LYTHjl+tR4olwwoVwxtw0B7j24WOOffplRNnqK1Gtadg0qjHc13Sd/BtqlP30Xyk1Q/wrihfJipJfRghXNm7FA==",
  argon2id_plain: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$T95q7S205tf9WI4HhYOZDIQmMMAbntacGXTIku0gXT8",
  argon2i_plain: "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$Iv3dSMJ431p24TEj68Kxokm/ilAC9HfwREDIVPM/1/0",
  argon2d_plain: "$argon2d$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$3CYaDoobFaprD02HTMVVRLsrSgJjZK5QmqYWnWDEAlw",
  argon2id_m512_plain:
    "$argon2id$v=19$m=512,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$D+tijToHnfVe7jRmIDLamN7pb1bsI2PVzBoxKm8WES8",
  bcrypt_2y_plain: "$2y$05$pCGZaW10z/B1IOGlSikmcuWVMchIsLMcX/cWghbt0Pqe4pm3GVUoO",
  bcrypt_2b_plain: "$2b$05$AMyZPYLb2T3uJE5ji.PQieZB5iOoewpgzAof/B04zLtMSdnbMNGB6",
  bcrypt_2a_plain: "$2a$05$Z6GB9hUjD5kaj58.szNWFuLAM9n3USNHyYEB7qPf9FoJQN2Np/Mo2",
  bcrypt_2b_cost12_plain: "$2b$12$gr3CvU9YYyxw06xnzn/aweMlbvXzgAlfECIr8kLsAN4h8R/mQahaO",
  pbkdf2_sha256_plain: "$pbkdf2-sha256$29000$MDEyMzQ1Njc4OWFiY2RlZg$G/O7bynZBig0xpI9OJ2.zH5iXh/vIAuDcj9JVCTUa3k",
  pbkdf2_sha512_plain:
    "$pbkdf2-sha512$25000$yMnKy8zNzs/Q0dLT1NXW1w$bLdZqRYmyd7dZrL8pBX1uxyIDv3MeoDOIFTwq7mOk7EKNUDCYvFBN.6PyuLjh1chtqM.I9Uhv9gVgBd3m3G08g",
  sha256_crypt_plain: "$5$rounds=10000$sAlT5alt$dFlIe3G6btpIec7ksZUNXtTDIPC6WEICNSbRRKgJQdB",
  sha256_crypt_implicit_plain: "$5$shortsalt$9fVMh0Mqx7d6Q1.ujTGXp6sWTvFXDffoqEHrwrlzDG/",
  sha512_crypt_plain:
    "$6$rounds=10000$16charsaltsalt16$x1ClAHatUld4zeXQWjfOlfLKBdr3Mcn6yruLDcV.Lf2PPvgTILQElh68HNSShDzsFg.MxLgNbgNC7a7b9EnsE.",
  sha512_crypt_implicit_plain:
    "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
  argon2id_fs: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$yKPkC2q41Os74tUoBflEX6c5nPbQjrgcVmgkP1bE+hI",
  argon2i_fs: "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$YHQx52NPrlZz8EZMGUiy3GTQ6Q3SxodMf5Kf1YEzsf8",
  argon2d_fs: "$argon2d$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$SFA1QxCxg85wqH+PGIK7GG77/rtMqUVqM57GusHMZns",
  argon2id_m512_fs: "$argon2id$v=19$m=512,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$ePzPtdAmNuO6UCprA1YjezTYrf6kXz/DhXIOCH8B1mc",
  bcrypt_2y_fs: "$2y$05$wWLnPmzErgDrMBPjd72ZkOc4WU3GB/YAFNQc/ibaIZZCxy2GR4iHC",
  bcrypt_2b_fs: "$2b$05$1FupB03WHRXQyS3ErpSeOetDL.lKaSz6MZGkcyxhS2sIJQGySTela",
  bcrypt_2a_fs: "$2a$05$NmLEnpcW9KLLLf1ZYgF/4.lLjz/eT.kQT53iehBunLPbBaJMI4Px2",
  bcrypt_2b_cost12_fs: "$2b$12$0zrD5JXE3neBTuxTmuCBW.0yTtfPXQ3v34ZLXW6uASgpe1qdhPIr2",
  pbkdf2_sha256_fs: "$pbkdf2-sha256$29000$MDEyMzQ1Njc4OWFiY2RlZg$XDCaqURUwKo8tCfgNEssYWZBQpnLgNtOFJ5ecmfs8cs",
  pbkdf2_sha512_fs:
    "$pbkdf2-sha512$25000$yMnKy8zNzs/Q0dLT1NXW1w$XGySgRocpE4dOV41PYbGq7dwBFeD0DSwvsUDRopDeduF98bmhgQH.UM5ZqXbCmtSP64GC.5o.UmdkApADdB/Rw",
  sha256_crypt_fs: "$5$rounds=10000$sAlT5alt$v0kKMXtJ7HLCyOov65Fp8UPm1r7dFhHA64ao2JTKV81",
  sha256_crypt_implicit_fs: "$5$shortsalt$GKjN.iN1ad2vKjxIVh0VhQlKcrn4ZcHzC1lfb9XLCN7",
  sha512_crypt_fs:
    "$6$rounds=10000$16charsaltsalt16$e7d1DRM6itVAlJeT1fRrZvE8n0w/OjvYnngLtJicpBrZuzkIoVsl8vW7OlWFSk/lGjAH2J8dgyzIgseMQGCTX/",
  sha512_crypt_implicit_fs:
    "$6$saltsalt$KGZESyIhYp4mn3XYfuQmHF6tSRaD6Htx7zyNzp/d886u71zFHqRhg/EL1.aoNX3LcAGvsRPRe0CLQg4oL8DIH.",
  argon2id_passlib_defaults_fs:
    "$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0c2FsdA$TL51Mt3XKXfhkpWbfZ3dN3fDUjTMIafxoHshxFAHR+E",
  bcrypt_2y_fs_untruncated: "$2y$05$GNTWPVHd9ZIFJ3UHUiXrRuPQUJ99sHgJP0vfyBupPF.tEYzPhjuNK",
  argon2id_nfkd_plain:
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$9dKkbwTxzF3LEJSdh5m5vGTlEkk/qsrSZfN1jNGZHWc",
  argon2id_nfkd_fs: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$LezqsoxDEABOeq8z3G7pecjwjfUpO3ii9I87MiKtwOo",
  sha512_crypt_nfkd_plain:
    "$6$saltsalt$r6v/5JJbp8Ge7iXcQdxJaFUmhRv8w0jeJMWih9BWWnXOD.Dsk/WPIYFOME.WNcaz9GlmXic6ecFsfUnxHUM4X.",
  sha512_crypt_200k_plain:
    "$6$rounds=200000$slowslow$vcZFoXhJ24DnEXg5i0UKdDJBDbc5V8wD5S4ZQNuFRKQfpgnchVLknPscU.h0WAyHQvgkm8bMt/po6AFWoDinU.",
} as const;

type Name = keyof typeof V;
const plain = createPasswordHasher({ salt: null });
const salted = createPasswordHasher({ salt: "salty" });
const NFKD_CAFE = "cafe\u0301";

/** Vectors that are current under the default options (argon2id m=19456,t=2,p=1). */
const CURRENT = new Set<Name>(["argon2id_plain", "argon2id_fs", "argon2id_nfkd_plain", "argon2id_nfkd_fs"]);

function passwordFor(name: Name): string {
  return name.includes("nfkd") ? NFKD_CAFE : "password";
}
function hasherFor(name: Name) {
  return /_fs(_|$)/.test(name) ? salted : plain;
}

describe("FS double-hash pre-hash", () => {
  test("base64(HMAC-SHA512(salt, password)) matches Python's hmac", () => {
    assert.equal(fsPrehash("password", "salty"), V.prehash);
    assert.equal(V.prehash.length, 88);
  });
});

describe("stored formats from independent tools", () => {
  for (const name of Object.keys(V) as Name[]) {
    if (name === "prehash") continue;
    const stored = V[name];
    test(`${name}: right password verifies, wrong one does not`, async () => {
      const hasher = hasherFor(name);
      const ok = await hasher.verify(passwordFor(name), stored);
      assert.deepEqual(ok, { valid: true, needsRehash: !CURRENT.has(name) });
      assert.deepEqual(await hasher.verify("wrong-password", stored), { valid: false, needsRehash: false });
      // The other salt setting must not verify it: double hash and plain differ.
      const other = hasherFor(name) === salted ? plain : salted;
      assert.equal((await other.verify(passwordFor(name), stored)).valid, false);
    });
  }

  test("a flipped checksum character is rejected without throwing", async () => {
    for (const name of Object.keys(V) as Name[]) {
      if (name === "prehash" || name.includes("200k")) continue;
      const stored: string = V[name];
      const last = stored.at(-2) === "A" ? "B" : "A";
      const corrupt = stored.slice(0, -2) + last + stored.slice(-1);
      assert.equal((await hasherFor(name).verify(passwordFor(name), corrupt)).valid, false, name);
    }
  });
});

describe("bcrypt", () => {
  // Published vectors from Openwall crypt_blowfish (wrapper.c tests), as used by OpenBSD-compatible libraries.
  const published: Array<[string, string]> = [
    ["U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"],
    ["", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"],
    [
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
      "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
    ],
  ];
  test("published $2a$ vectors", async () => {
    for (const [password, stored] of published) {
      assert.equal((await plain.verify(password, stored)).valid, true, password);
      assert.equal((await plain.verify(password + "!", stored.replace(/.$/, "x"))).valid, false);
    }
    assert.equal((await plain.verify("U*V", published[0]![1])).valid, false);
  });

  test("pre-hash cut to 72 bytes or fed whole (FS < 5.7) give the same bcrypt hash", async () => {
    // bcrypt_2y_fs_untruncated was made by htpasswd from the whole 88-char pre-hash; Rampart feeds 72 bytes.
    assert.equal((await salted.verify("password", V.bcrypt_2y_fs_untruncated)).valid, true);
    // And the library itself agrees both inputs are one and the same key, either way round.
    assert.equal(await bcryptVerify(V.prehash, V.bcrypt_2y_fs), true);
    assert.equal(await bcryptVerify(V.prehash.slice(0, 72), V.bcrypt_2y_fs_untruncated), true);
    assert.equal(await bcryptVerify(V.prehash.slice(0, 71), V.bcrypt_2y_fs), false);
  });

  test("needsRehash follows the configured bcrypt cost", async () => {
    const cost12 = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 12, salt: null });
    assert.deepEqual(await cost12.verify("password", V.bcrypt_2b_cost12_plain), { valid: true, needsRehash: false });
    assert.deepEqual(await cost12.verify("password", V.bcrypt_2y_plain), { valid: true, needsRehash: true });
    assert.deepEqual(await cost12.verify("password", V.argon2id_plain), { valid: true, needsRehash: true });
  });
});

describe("normalization (NFKD by default, as FS)", () => {
  test("a password set as U+00E9 verifies when typed as e + U+0301, and the reverse", async () => {
    for (const typed of ["caf\u00e9", NFKD_CAFE]) {
      assert.equal((await plain.verify(typed, V.argon2id_nfkd_plain)).valid, true);
      assert.equal((await salted.verify(typed, V.argon2id_nfkd_fs)).valid, true);
      assert.equal((await plain.verify(typed, V.sha512_crypt_nfkd_plain)).valid, true);
    }
  });

  test("with normalizeForm null the precomposed form no longer matches", async () => {
    const raw = createPasswordHasher({ normalizeForm: null });
    assert.equal((await raw.verify("caf\u00e9", V.argon2id_nfkd_plain)).valid, false);
    assert.equal((await raw.verify(NFKD_CAFE, V.argon2id_nfkd_plain)).valid, true);
  });
});

describe("sha-crypt runs off the event loop", () => {
  test("timers keep firing during a 200000-round sha512_crypt verify", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const started = performance.now();
      assert.equal((await plain.verify("password", V.sha512_crypt_200k_plain)).valid, true);
      const elapsed = performance.now() - started;
      // Had the check run on this thread, no tick could have happened while it ran.
      if (elapsed > 50) assert.ok(ticks >= 2, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
    } finally {
      clearInterval(timer);
    }
  });
});
