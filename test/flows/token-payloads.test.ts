import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import { oathtoolSkip } from "../helpers/totp-clock.js";
import {
  PASSWORD,
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  toStepStart,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/** The signed payload of an access token as a client sees it (base64url JSON before the signature). */
function payloadOf(token: string): Record<string, unknown> {
  const [body] = token.split(".");
  return JSON.parse(Buffer.from(body!, "base64url").toString("utf8")) as Record<string, unknown>;
}

for (const dialect of flowDialects()) {
  describe(`access token payloads are honest (${dialect})`, { skip: oathtoolSkip }, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect);
    });
    after(() => t.app.close());

    const maxAge = () => t.app.runtime.config.token.maxAgeSeconds;
    const bearer = (token: string) =>
      t.app.client().get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${token}` } });

    it("a password sign-in: exp is issue time + TOKEN_MAX_AGE, amr is [pwd]", async () => {
      const email = "Pay.Load+pwd@Sub.Example.test";
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const before = t.nowSeconds();
      const r = await t.app.client().login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      const p = payloadOf(r.json.response.user.authentication_token);
      assert.ok((p.iat as number) >= before && (p.iat as number) <= t.nowSeconds());
      assert.equal(p.exp, (p.iat as number) + maxAge());
      assert.notEqual(p.exp, 0);
      assert.deepEqual(p.amr, ["pwd"]);
    });

    it("the answer says when the access token expires: user.authentication_token_expires_at is its exp (ISO 8601)", async () => {
      const email = "Expires.At+iso@Sub.Example.test";
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const r = await t.app.client().login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      const user = r.json.response.user;
      const p = payloadOf(user.authentication_token);
      assert.equal(user.authentication_token_expires_at, new Date((p.exp as number) * 1000).toISOString());
      // No token asked for: no expiry either.
      const plain = await t.app.client().login(email, PASSWORD);
      assert.equal(plain.status, 200, plain.body);
      assert.equal(plain.json.response.user.authentication_token, undefined);
      assert.equal(plain.json.response.user.authentication_token_expires_at, undefined);
    });

    it("password + authenticator: amr is [pwd, otp, mfa]", async () => {
      const email = "pay.load-mfa@example.test";
      const secret = await enrolAuthenticator(t, email);
      toStepStart(t);
      const c = t.app.client();
      const pending = await loginPending(c, email, "ready");
      const done = await validate(c, pending.json.response.csrf_token, oath(t, secret), "?include_auth_token");
      assert.equal(done.status, 200, done.body);
      const p = payloadOf(done.json.response.user.authentication_token);
      assert.deepEqual(p.amr, ["pwd", "otp", "mfa"]);
      assert.equal(p.exp, (p.iat as number) + maxAge());
    });

    it("an old-format token (exp: 0) is accepted until its age limit, then refused", async () => {
      const email = "old.format@example.test";
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const r = await t.app.client().login(email, PASSWORD, {}, "?include_auth_token");
      const current = payloadOf(r.json.response.user.authentication_token);
      // Sealed as tokens were before `exp` was recorded: same purpose and signer, exp 0, no amr.
      const old = t.app.runtime.signer.sign(
        "auth-token",
        { ver: "r1", uid: current.uid, fs_paa: current.fs_paa, exp: 0 },
        t.nowSeconds(),
      );
      assert.equal((await bearer(old)).status, 200);
      t.advance(maxAge() - 5);
      assert.equal((await bearer(old)).status, 200, "still within its age limit");
      t.advance(10);
      const late = await bearer(old);
      assert.equal(late.status, 401);
      assert.equal(late.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    });
  });
}
