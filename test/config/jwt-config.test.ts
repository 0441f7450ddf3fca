import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRampart, configSlices } from "../../src/create-rampart.js";
import { configFromEnv, type RampartConfigInput } from "../../src/core/config/index.js";
import { generateStoredKey } from "../../src/core/tokens/keys.js";
import { TEST_SECRET } from "../helpers/app.js";

/** A JWT set-up that cannot work refuses the start, each problem naming its key (and nothing is left open). */
const quiet = { info() {}, warn() {}, error() {} };
const start = (config: RampartConfigInput) =>
  createRampart({ config: { secretKey: TEST_SECRET, ...config }, logger: quiet }).then((r) => r.close());
const key = (status: "active" | "next" = "active") => generateStoredKey("EdDSA", status, new Date());

describe("JWT configuration at start", () => {
  it("format jwt without issuer, audience or keys names each key", async () => {
    await assert.rejects(start({ token: { format: "jwt" } }), (e: Error) => {
      assert.match(e.message, /RAMPART_JWT_ISSUER \(token\.jwt\.issuer\): is required/);
      assert.match(e.message, /RAMPART_JWT_AUDIENCE \(token\.jwt\.audience\): is required/);
      assert.match(e.message, /RAMPART_JWT_KEYS_FILE \(token\.jwt\.keysFile\): .*rampart keys generate/);
      return true;
    });
  });

  it("the issuer defaults to RAMPART_BASE_URL", async () => {
    await start({
      baseUrl: "https://app.test",
      token: { format: "jwt", jwt: { audience: ["a"], keys: { keys: [key()] } } },
    });
  });

  it("refuses unusable key sets: no active key, two active keys, a public-only key, a wrong curve, a kid twice, an undated retiring key", async () => {
    const active = key();
    const { d: _d, ...publicOnly } = key();
    const cases: [string, unknown[], RegExp][] = [
      ["no active key", [key("next")], /needs an active key/],
      ["two active keys", [key(), key()], /more than one key is active/],
      ["no private part", [publicOnly], /private key \(member d\)/],
      ["wrong curve", [{ ...key(), alg: "ES256" }], /alg ES256 needs a EC P-256 key/],
      ["kid twice", [active, { ...active, status: "next" }], /appears twice/],
      ["retiring without a date", [key(), { ...key(), status: "retiring" }], /needs retire_after/],
    ];
    for (const [what, keys, message] of cases)
      await assert.rejects(
        start({
          baseUrl: "https://app.test",
          token: { format: "jwt", jwt: { audience: ["a"], keys: { keys } as never } },
        }),
        (e: Error) => {
          assert.match(e.message, /RAMPART_JWT_KEYS \(token\.jwt\.keys\)/, what);
          assert.match(e.message, message, what);
          return true;
        },
      );
  });

  it("an unreadable key file is named with its path; inline keys and a file together are refused", async () => {
    await assert.rejects(
      start({ token: { jwt: { keysFile: "/nonexistent/jwt-keys.json" } } }),
      /RAMPART_JWT_KEYS_FILE \(token\.jwt\.keysFile\): cannot read \/nonexistent\/jwt-keys\.json/,
    );
    await assert.rejects(
      start({ token: { jwt: { keysFile: "/x.json", keys: { keys: [key()] } } } }),
      /RAMPART_JWT_KEYS \(token\.jwt\.keys\): give the key set either inline or as a file, not both/,
    );
  });

  it("from the environment: inline RAMPART_JWT_KEYS JSON and an audience list; the JWKS is served below the URL prefix", async () => {
    const set = { keys: [key(), key("next")] };
    const { config, issues } = configFromEnv(
      {
        SECURITY_TOKEN_FORMAT: "jwt",
        RAMPART_JWT_KEYS: JSON.stringify(set),
        RAMPART_JWT_AUDIENCE: "orders-api,billing-api",
        RAMPART_JWT_ISSUER: "https://auth.example.test",
        SECURITY_URL_PREFIX: "/auth",
      },
      [],
      configSlices(),
    );
    assert.deepEqual(issues, []);
    const rampart = await createRampart({ config: { ...config, secretKey: TEST_SECRET }, logger: quiet });
    try {
      assert.deepEqual(rampart.config.token.jwt.audience, ["orders-api", "billing-api"]);
      const r = await rampart.fetch(new Request("https://auth.example.test/auth/.well-known/jwks.json"));
      assert.equal(r.status, 200);
      const body = (await r.json()) as { keys: { kid: string }[] };
      assert.deepEqual(
        body.keys.map((k) => k.kid),
        set.keys.map((k) => k.kid),
      );
      const unprefixed = await rampart.fetch(new Request("https://auth.example.test/.well-known/jwks.json"));
      assert.equal(unprefixed.status, 404);
    } finally {
      await rampart.close();
    }
  });

  it("without JWT format or keys there is no JWKS route", async () => {
    const rampart = await createRampart({ config: { secretKey: TEST_SECRET }, logger: quiet });
    try {
      const r = await rampart.fetch(
        new Request("https://app.test/.well-known/jwks.json", { headers: { accept: "application/json" } }),
      );
      assert.equal(r.status, 404);
    } finally {
      await rampart.close();
    }
  });
});
