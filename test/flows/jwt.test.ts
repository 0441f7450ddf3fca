import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import { SignJWT, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { generateStoredKey, rotateKeySet, type StoredKeySet } from "../../src/core/tokens/keys.js";
import { demoApp } from "../../src/server/demo-app.js";
import { PASSWORD } from "../../src/features/registration/testing/support.js";
import { TEST_SECRET, createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { TestClient } from "../helpers/client.js";
import { createIsolatedDatastore } from "../helpers/databases.js";
import { cliOk, tempDir } from "../cli/helpers.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  toStepStart,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/**
 * JWT access tokens as an API client and another service see them: signed in with ?include_auth_token the client
 * gets a JWT; a second service that knows nothing but the JWKS URL verifies it with jose; Rampart's guards refuse
 * every forged, expired, misaddressed or cross-purpose token with 401. Several instances share one database, as
 * deployments before and after a key rotation or a format switch do.
 */
const AUDIENCE = "orders-api";
const ISSUER = "https://app.test";

function newKeySet(): StoredKeySet {
  const now = new Date();
  return { keys: [generateStoredKey("EdDSA", "active", now), generateStoredKey("EdDSA", "next", now)] };
}
const activeOf = (set: StoredKeySet) => set.keys.find((k) => k.status === "active")!;
function privateKeyOf(stored: StoredKeySet["keys"][number]): KeyObject {
  const { kid: _k, alg: _a, status: _s, created_at: _c, retire_after: _r, ...jwk } = stored;
  return createPrivateKey({ key: jwk as never, format: "jwk" });
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

for (const dialect of flowDialects()) {
  describe(`JWT access tokens (${dialect})`, { timeout: 120_000 }, () => {
    let datastore: Awaited<ReturnType<typeof createIsolatedDatastore>>;
    let offsetMs = 0;
    const instances: Rampart[] = [];
    const servers: ServerType[] = [];
    let keys: StoredKeySet;
    let rampart: Rampart;
    let jwksUrl: URL;

    async function instance(config: RampartConfigInput): Promise<Rampart> {
      const r = await createRampart({
        database: datastore.datastore,
        clock: () => new Date(Date.now() + offsetMs),
        logger: { info() {}, warn() {}, error() {} },
        outboxSender: false,
        config: {
          secretKey: TEST_SECRET,
          baseUrl: ISSUER,
          clock: { checkIntervalSeconds: 0 },
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          ...config,
        },
      });
      instances.push(r);
      return r;
    }
    const jwtConfig = (set: StoredKeySet, extra: object = {}): RampartConfigInput => ({
      token: { format: "jwt", jwt: { audience: [AUDIENCE], keys: set, ...extra } },
    });
    /** Serves an instance on loopback; returns its JWKS URL (all another service is told). */
    async function served(r: Rampart): Promise<URL> {
      const base = await new Promise<string>((resolve) => {
        servers.push(
          serve({ fetch: r.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(`http://127.0.0.1:${info.port}`)),
        );
      });
      return new URL("/.well-known/jwks.json", base);
    }
    /** The other service: jose and the JWKS URL, nothing else. */
    const otherService = (url: URL, token: string) =>
      jwtVerify(token, createRemoteJWKSet(url), { issuer: ISSUER, audience: AUDIENCE, typ: "at+jwt" });

    const client = (r: Rampart) => new TestClient(demoApp(r));
    async function tokenFrom(r: Rampart, email: string): Promise<string> {
      const reply = await client(r).login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(reply.status, 200, reply.body);
      return reply.json.response.user.authentication_token as string;
    }
    const guardStatus = async (r: Rampart, token: string) =>
      (await client(r).get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } })).status;

    before(async () => {
      datastore = await createIsolatedDatastore(dialect);
      keys = newKeySet();
      rampart = await instance(jwtConfig(keys));
      jwksUrl = await served(rampart);
    });
    after(async () => {
      for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
      for (const r of instances) await r.close().catch(() => undefined);
      await datastore?.cleanup();
    });

    it("sign-in with ?include_auth_token answers a JWT that another service verifies with the JWKS URL alone", async () => {
      const email = `Jwt.Reader-one+${dialect}@Sub.Example.test`;
      const user = await rampart.api.createUser({ email, password: PASSWORD });
      const before = Math.floor(Date.now() / 1000);
      const token = await tokenFrom(rampart, email);
      const header = decodeProtectedHeader(token);
      assert.deepEqual(header, { alg: "EdDSA", kid: activeOf(keys).kid, typ: "at+jwt" });
      const { payload } = await otherService(jwksUrl, token);
      assert.equal(payload.sub, user.fsUniquifier);
      assert.deepEqual(payload.amr, ["pwd"]);
      assert.ok(typeof payload.auth_time === "number" && payload.auth_time >= before - 1);
      assert.equal(payload.exp! - payload.iat!, 300, "five minutes by default");
      assert.ok(typeof payload.jti === "string" && payload.jti.length >= 16);
      assert.equal(payload.roles, undefined, "no roles unless configured");
      assert.equal(await guardStatus(rampart, token), 200);
    });

    it("the JWKS publishes the next and active public keys, cacheable, and never a private member", async () => {
      const r = await fetch(jwksUrl);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "application/jwk-set+json");
      assert.equal(r.headers.get("cache-control"), "public, max-age=300");
      const text = await r.text();
      const set = JSON.parse(text) as { keys: Record<string, string>[] };
      assert.deepEqual(set.keys.map((k) => k.kid).sort(), keys.keys.map((k) => k.kid).sort());
      for (const k of set.keys) {
        assert.deepEqual(Object.keys(k).sort(), ["alg", "crv", "kid", "kty", "use", "x"]);
        assert.equal(k.use, "sig");
      }
      assert.doesNotMatch(text, /"d"/);
      for (const stored of keys.keys) assert.ok(!text.includes(stored.d), "private key bytes never published");
    });

    it("refuses forged, expired, misaddressed and cross-purpose tokens with 401 (a well-formed one passes)", async () => {
      const email = `jwt.forgery_${dialect}@example.test`;
      const user = await rampart.api.createUser({ email, password: PASSWORD });
      const genuine = await tokenFrom(rampart, email);
      const claims = decodeJwt(genuine);
      const active = activeOf(keys);
      const craft = (
        over: JWTPayload,
        header: { alg?: string; kid?: string; typ?: string } = {},
        key: KeyObject | Uint8Array = privateKeyOf(active),
      ) =>
        new SignJWT({ ...claims, ...over })
          .setProtectedHeader({ alg: "EdDSA", kid: active.kid, typ: "at+jwt", ...header })
          .sign(key);
      // The crafting itself is sound: with the real key and claims Rampart accepts it.
      assert.equal(await guardStatus(rampart, await craft({ jti: "crafted-control" })), 200);

      const [h, p, s] = genuine.split(".");
      const tampered = `${h}.${b64({ ...claims, amr: ["pwd", "otp", "mfa"] })}.${s}`;
      const otherKey = generateStoredKey("EdDSA", "active", new Date());
      const publicPem = createPublicKey(privateKeyOf(active)).export({ format: "pem", type: "spki" }) as string;
      const refused: Record<string, string> = {
        tampered,
        "wrong aud": await craft({ aud: "billing-api" }),
        "wrong iss": await craft({ iss: "https://evil.test" }),
        "no typ": await craft({}, { typ: "JWT" }),
        "alg none": `${b64({ alg: "none", kid: active.kid, typ: "at+jwt" })}.${p}.`,
        "HS256 keyed with the public PEM": await craft({}, { alg: "HS256" }, new TextEncoder().encode(publicPem)),
        "HS256 keyed with the public x": await craft(
          {},
          { alg: "HS256" },
          Buffer.from(createPublicKey(privateKeyOf(active)).export({ format: "jwk" }).x!, "base64url"),
        ),
        "unknown kid": await craft({}, { kid: otherKey.kid }, privateKeyOf(otherKey)),
        "another key with the active kid": await craft({}, {}, privateKeyOf(otherKey)),
        "unknown user": await craft({ sub: "no-such-uniquifier" }),
        "expired per exp": await craft({ exp: Math.floor(Date.now() / 1000) - 1 }),
        "iat in the future": await craft({ iat: Math.floor(Date.now() / 1000) + 600, exp: claims.exp! + 600 }),
        "csrf token": await client(rampart).csrf(),
      };
      for (const [what, token] of Object.entries(refused)) assert.equal(await guardStatus(rampart, token), 401, what);
      // The other service agrees on the forgeries (it has only the JWKS).
      for (const what of ["tampered", "alg none", "HS256 keyed with the public PEM", "unknown kid", "wrong aud"])
        await assert.rejects(otherService(jwksUrl, refused[what]!), what);
      assert.equal(user.active, true);
    });

    it("a JWT stops at its exp (Rampart's clock moved past it)", async () => {
      const email = `jwt.expiry-${dialect}@Example.test`;
      await rampart.api.createUser({ email, password: PASSWORD });
      const token = await tokenFrom(rampart, email);
      offsetMs = 290_000;
      try {
        assert.equal(await guardStatus(rampart, token), 200, "still within five minutes");
        offsetMs = 301_000;
        assert.equal(await guardStatus(rampart, token), 401);
      } finally {
        offsetMs = 0;
      }
    });

    it("deactivating the user stops the JWT at Rampart at once; another service accepts it until its exp (the trade-off)", async () => {
      const email = `jwt.deactivated.${dialect}@example.test`;
      const user = await rampart.api.createUser({ email, password: PASSWORD });
      const token = await tokenFrom(rampart, email);
      assert.equal(await guardStatus(rampart, token), 200);
      await rampart.api.deactivateUser(user);
      assert.equal(await guardStatus(rampart, token), 401);
      await otherService(jwksUrl, token);
    });

    it("a new password (fs_uniquifier rotates) stops the user's JWTs at Rampart", async () => {
      const email = `jwt.new-password_${dialect}@Example.test`;
      const user = await rampart.api.createUser({ email, password: PASSWORD });
      const token = await tokenFrom(rampart, email);
      assert.equal(await guardStatus(rampart, token), 200);
      await rampart.api.changePassword(user, `${PASSWORD} changed`);
      assert.equal(await guardStatus(rampart, token), 401);
    });

    it("rotation: tokens of the old key keep verifying (Rampart and another service) until they expire; new ones carry the new kid", async () => {
      const email = `jwt.rotation+${dialect}@example.test`;
      await rampart.api.createUser({ email, password: PASSWORD });
      const oldToken = await tokenFrom(rampart, email);
      const rotated = rotateKeySet(keys, { alg: "EdDSA", now: new Date(), retireAfterSeconds: 360 });
      const next = keys.keys.find((k) => k.status === "next")!;
      assert.equal(activeOf(rotated).kid, next.kid, "the published next key signs now");
      // The deployment after the rotation: same database and secret, the rotated key set.
      const after = await instance(jwtConfig(rotated));
      const afterJwks = await served(after);
      const newToken = await tokenFrom(after, email);
      assert.equal(decodeProtectedHeader(newToken).kid, next.kid);
      assert.equal(await guardStatus(after, oldToken), 200);
      assert.equal(await guardStatus(after, newToken), 200);
      // A rolling restart: an instance still on the old set accepts the new key's tokens (it was its next key).
      assert.equal(await guardStatus(rampart, newToken), 200);
      await otherService(afterJwks, oldToken);
      await otherService(afterJwks, newToken);
      // Past retire_after the retiring key is neither published nor accepted.
      offsetMs = 361_000;
      try {
        assert.equal(await guardStatus(after, oldToken), 401);
        const published = (await (await fetch(afterJwks)).json()) as { keys: { kid: string }[] };
        assert.ok(!published.keys.some((k) => k.kid === activeOf(keys).kid));
      } finally {
        offsetMs = 0;
      }
    });

    it("a rotation ahead of a slow rollout: an instance still on the old set signs 9 minutes later, and an instance on the new set (and its JWKS) still accepts that token", async () => {
      const email = `Jwt.Slow-Rollout+${dialect}@Sub.Example.test`;
      await rampart.api.createUser({ email, password: PASSWORD });
      const { dir, cleanup } = await tempDir();
      try {
        // The operator rotates with the server's JWT lifetime (300 s) at T ...
        const file = join(dir, "jwt-keys.json");
        await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
        const printed = await cliOk(["keys", "rotate", "--file", file], { RAMPART_JWT_MAX_AGE: "300" });
        const oldKid = activeOf(keys).kid;
        const rotated = JSON.parse(await readFile(file, "utf8")) as StoredKeySet;
        // ... one instance restarts on the new set at once; `rampart` stays on the old set for 9 minutes.
        const restarted = await instance(jwtConfig(rotated));
        const restartedJwks = await served(restarted);
        offsetMs = 9 * 60_000;
        try {
          const late = await tokenFrom(rampart, email);
          assert.equal(decodeProtectedHeader(late).kid, oldKid, "the old instance still signs with the old key");
          assert.equal(await guardStatus(restarted, late), 200, "the restarted instance accepts it");
          const published = (await (await fetch(restartedJwks)).json()) as { keys: { kid: string }[] };
          assert.ok(
            published.keys.some((k) => k.kid === oldKid),
            "and still publishes the old key for other services",
          );
        } finally {
          offsetMs = 0;
        }
        // The CLI told the operator when the old key drops and by when every instance must run the new set.
        assert.match(printed, new RegExp(`${oldKid} stops verifying at \\S+Z`), printed);
        assert.match(printed, /restart every instance on the new set before \S+Z/, printed);
      } finally {
        await cleanup();
      }
    });

    it("a format switch signs nobody out: both formats verify, the configured one is minted", async () => {
      const email = `Jwt.Switch-${dialect}@Sub.Example.test`;
      await rampart.api.createUser({ email, password: PASSWORD });
      // Keys configured but tokens still opaque (the keys are published ahead of the switch).
      const opaque = await instance({ token: { jwt: { audience: [AUDIENCE], keys } } });
      const opaqueToken = await tokenFrom(opaque, email);
      assert.throws(() => decodeProtectedHeader(opaqueToken), "an opaque token is no JWT");
      const jwtToken = await tokenFrom(rampart, email);
      assert.equal(await guardStatus(rampart, opaqueToken), 200, "opaque token at the JWT instance");
      assert.equal(await guardStatus(opaque, jwtToken), 200, "JWT at the opaque instance with keys");
      const keyless = await instance({});
      assert.equal(await guardStatus(keyless, jwtToken), 401, "without keys a JWT verifies nowhere");
      assert.equal(await guardStatus(keyless, opaqueToken), 200);
    });

    it("roles are in the token only when includeRoles is on", async () => {
      const email = `jwt.roles.${dialect}@example.test`;
      const user = await rampart.api.createUser({ email, password: PASSWORD });
      await rampart.api.createRole({ name: `auditor-${dialect}` });
      await rampart.api.addRoleToUser(user, `auditor-${dialect}`);
      assert.equal(decodeJwt(await tokenFrom(rampart, email)).roles, undefined);
      const withRoles = await instance(jwtConfig(keys, { includeRoles: true }));
      const { payload } = await otherService(jwksUrl, await tokenFrom(withRoles, email));
      assert.deepEqual(payload.roles, [`auditor-${dialect}`]);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`JWT format and other signed values (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          recovery: { enabled: true },
          token: { format: "jwt", jwt: { audience: [AUDIENCE], keys: newKeySet() } },
        },
      });
    });
    after(() => app?.close());

    it("a mailed reset token presented as an access token is refused (401)", async () => {
      const email = `jwt.reset-link+${dialect}@Mail.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = app.client();
      const r = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
      assert.equal(r.status, 200, r.body);
      const mail = await app.sink.waitFor((m) => linksIn(m).some((u) => u.includes("/reset/")));
      const resetToken = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname.split("/").pop()!;
      const status = async (token: string) =>
        (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } }))
          .status;
      assert.equal(await status(resetToken), 401);
      const login = await app.client().login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(await status(login.json.response.user.authentication_token as string), 200);
    });
  });

  describe(`JWT after a second factor (${dialect})`, { timeout: 60_000 }, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, {}, false, {
        token: { format: "jwt", jwt: { audience: [AUDIENCE], keys: newKeySet() } },
      });
    });
    after(() => t?.app.close());

    it('a sign-in completed with an authenticator code carries amr ["pwd","otp","mfa"]', async () => {
      const email = `Jwt.Second-Factor+${dialect}@Example.test`;
      const secret = await enrolAuthenticator(t, email);
      toStepStart(t);
      const c = t.app.client();
      const pending = await loginPending(c, email, "ready");
      const done = await validate(c, pending.json.response.csrf_token, oath(t, secret), "?include_auth_token");
      assert.equal(done.status, 200, done.body);
      const token = done.json.response.user.authentication_token as string;
      const claims = decodeJwt(token);
      assert.deepEqual(claims.amr, ["pwd", "otp", "mfa"]);
      const status = (
        await t.app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } })
      ).status;
      assert.equal(status, 200);
    });
  });
}
