import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { Rampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import type { StoredKeySet } from "../../src/core/tokens/keys.js";
import { flowDialects } from "../helpers/app.js";
import { apiClient, newUser, refreshReason, servedInstances } from "../helpers/api-client.js";
import { cliOk, tempDir } from "../cli/helpers.js";

/**
 * JWT access tokens with refresh tokens, for a cookieless client: the JWT names its refresh family (`fam`); when
 * the family ends (sign-out, a replayed refresh token) Rampart refuses the JWT at once, while another service that
 * verifies with jose and the JWKS alone accepts it until its exp (the documented trade-off). After
 * `rampart keys rotate`, /refresh-token answers JWTs signed by the new key.
 */
const AUDIENCE = "orders-api";
const ISSUER = "https://app.test";
const jwtConfig = (keys: StoredKeySet): RampartConfigInput => ({
  refreshTokens: { enabled: true, cookieName: null },
  token: { format: "jwt", jwt: { audience: [AUDIENCE], keys } },
});

/** The key set `rampart keys generate` (twice) and `rampart keys rotate` write, read back. */
let files: { dir: string; cleanup(): Promise<void> };
const keyFile = () => join(files.dir, "jwt-keys.json");
const readKeys = async () => JSON.parse(await readFile(keyFile(), "utf8")) as StoredKeySet;
before(async () => {
  files = await tempDir();
  await cliOk(["keys", "generate", "--file", keyFile()], {});
  await cliOk(["keys", "generate", "--file", keyFile()], {});
});
after(() => files.cleanup());

for (const dialect of flowDialects()) {
  describe(`JWT access tokens with refresh families, cookieless client (${dialect})`, { timeout: 120_000 }, () => {
    const servers = servedInstances(dialect);
    let rampart: Rampart;
    let base: string;
    let mobile: ReturnType<typeof apiClient>;
    let keys: StoredKeySet;
    before(async () => {
      keys = await readKeys();
      ({ rampart, base } = await servers.start(jwtConfig(keys)));
      mobile = apiClient(base);
    });
    after(() => servers.close());

    /** Another service: jose and the JWKS URL, nothing else (it never asks Rampart about a family). */
    const otherService = (jwksBase: string, token: string, currentDate?: Date) =>
      jwtVerify(token, createRemoteJWKSet(new URL("/.well-known/jwks.json", jwksBase)), {
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: "at+jwt",
        algorithms: ["EdDSA", "ES256"],
        ...(currentDate ? { currentDate } : {}),
      });

    it("the JWT carries fam; sign-out ends the family: Rampart refuses it at once, the JWKS-only service until exp", async () => {
      const t = await mobile.signIn(await newUser(rampart, "Jwt.Family"));
      const claims = decodeJwt(t.access);
      assert.equal(typeof claims.fam, "string");
      assert.ok((claims.fam as string).length >= 16);
      assert.equal(await mobile.protectedStatus(t.access), 200);
      await otherService(base, t.access);

      const out = await mobile.call("POST", "/logout", { bearer: t.access, json: { refresh_token: t.refresh } });
      assert.equal(out.status, 200, out.body);
      const refused = await mobile.call("GET", "/api/protected", { bearer: t.access });
      assert.equal(refused.status, 401, "Rampart checks the family on every request");
      assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
      const { payload } = await otherService(base, t.access);
      assert.equal(payload.fam, claims.fam, "the other service cannot know the family ended");
      await assert.rejects(
        otherService(base, t.access, new Date((claims.exp! + 1) * 1000)),
        errors.JWTExpired,
        "until its exp, and no longer",
      );
      assert.equal(refreshReason(await mobile.refresh(t.refresh)), "REVOKED");
    });

    it("a replayed refresh token ends the family: the JWT of the last refresh stops at Rampart, not at the other service", async () => {
      const first = await mobile.signIn(await newUser(rampart, "Jwt.Theft"));
      const r = await mobile.refresh(first.refresh, first.access);
      assert.equal(r.status, 200, r.body);
      const latest = r.json.response.user.authentication_token as string;
      assert.equal(decodeJwt(latest).fam, decodeJwt(first.access).fam, "a refresh stays in the family");
      assert.equal(await mobile.protectedStatus(latest), 200);

      assert.equal(refreshReason(await mobile.refresh(first.refresh)), "GEN_MISMATCH");
      assert.equal(await mobile.protectedStatus(latest), 401);
      await otherService(base, latest);
      assert.equal(refreshReason(await mobile.refresh(r.json.response.user.refresh_token)), "REVOKED");
    });

    it("after `rampart keys rotate`, /refresh-token answers a JWT with the new kid; the old JWT still verifies", async () => {
      const t = await mobile.signIn(await newUser(rampart, "Jwt.Rotate"));
      const oldKid = decodeProtectedHeader(t.access).kid;
      assert.equal(oldKid, keys.keys.find((k) => k.status === "active")!.kid);

      // The rotation an operator runs, on a copy so that the other dialects start from the same set.
      const copy = join(files.dir, `rotated-${dialect}.json`);
      await writeFile(copy, JSON.stringify(keys), { mode: 0o600 });
      await cliOk(["keys", "rotate", "--file", copy], {});
      const rotated = JSON.parse(await readFile(copy, "utf8")) as StoredKeySet;
      const newKid = rotated.keys.find((k) => k.status === "active")!.kid;
      assert.equal(newKid, keys.keys.find((k) => k.status === "next")!.kid, "the published next key signs now");

      // The deployment after the rotation: same database and secret, the rotated key set.
      const next = await servers.start(jwtConfig(rotated));
      const client = apiClient(next.base);
      const r = await client.refresh(t.refresh, t.access);
      assert.equal(r.status, 200, r.body);
      const fresh = r.json.response.user.authentication_token as string;
      assert.equal(decodeProtectedHeader(fresh).kid, newKid);
      assert.equal(decodeJwt(fresh).fam, decodeJwt(t.access).fam);
      assert.equal(await client.protectedStatus(fresh), 200);
      assert.equal(await client.protectedStatus(t.access), 200, "the old key's token until it expires");
      await otherService(next.base, fresh);
      await otherService(next.base, t.access);
    });
  });
}
