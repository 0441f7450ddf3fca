import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTestApp } from "../../../test/helpers/app.js";
import { clocked, oathCode, toStepStart, type ClockedApp } from "../../../test/helpers/totp-clock.js";
import { twoFactorFeature } from "../../features/two-factor/index.js";

/**
 * A user migrated from Flask-Security with an authenticator keeps signing in: the FS row's tf_totp_secret
 * (passlib's encrypted JSON, fixtures/gen-fs-totp.py) is served with the same TOTP_SECRETS FS used.
 */
const fixture = JSON.parse(readFileSync(new URL("./fixtures/fs-totp-vectors.json", import.meta.url), "utf8")) as {
  secrets: Record<string, string>;
  vectors: { name: string; value: string; tag: string; key: string }[];
  wrongWallet: { secrets: Record<string, string> };
  usTotpSecrets: { value: string; methods: Record<string, { key: string }> };
};
const PASSWORD = "correct horse battery";

async function migratedApp(secrets: Record<string, string>): Promise<ClockedApp> {
  const app = await createTestApp({
    config: { totp: { secrets, issuer: "Rampart Test" }, twoFactor: { enabled: true } } as never,
    features: [twoFactorFeature],
  });
  return clocked(app);
}

/** Creates the user, then writes the FS columns as a migrated row has them. */
async function migrateUser(t: ClockedApp, email: string, tfTotpSecret: string): Promise<void> {
  const user = await t.app.rampart.api.createUser({ email, password: PASSWORD });
  await t.app.runtime.datastore.users.update(user.id, { tfPrimaryMethod: "authenticator", tfTotpSecret });
}

async function loginReady(t: ClockedApp, email: string) {
  const c = t.app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  assert.equal(login.json.response.tf_required, true);
  assert.equal(login.json.response.tf_state, "ready");
  assert.equal(login.json.response.tf_primary_method, "authenticator");
  return { c, csrf: login.json.response.csrf_token as string };
}

function validate(c: ReturnType<ClockedApp["app"]["client"]>, csrf: string, code: string) {
  return c.post("/tf-validate", { json: { code }, headers: { "x-csrf-token": csrf } });
}

describe("two-factor for a user migrated from Flask-Security", () => {
  let t: ClockedApp;
  before(async () => {
    t = await migratedApp(fixture.secrets);
  });
  after(() => t.app.close());

  for (const tag of ["2", "1"]) {
    it(`signs in with the authenticator code of the FS-stored secret (key id ${tag})`, async () => {
      const vector = fixture.vectors.find((v) => v.tag === tag)!;
      const email = `fs-${tag}@x.test`;
      await migrateUser(t, email, vector.value);
      toStepStart(t);
      const { c, csrf } = await loginReady(t, email);
      assert.equal(
        (await c.get("/api/protected", { acceptJson: true })).status,
        401,
        "nothing granted before the code",
      );
      const code = oathCode(t, vector.key);
      const wrong = await validate(c, csrf, code === "000000" ? "111111" : "000000");
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });
      const ok = await validate(c, csrf, code);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.user.email, email);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      // Proved once, the secret is sealed again in Rampart's format; the next sign-in uses that.
      const stored = (await t.app.rampart.api.findUser(email))!.tfTotpSecret!;
      assert.match(stored, /^rt1:/);
      t.advance(30);
      const again = await loginReady(t, email);
      assert.equal((await validate(again.c, again.csrf, oathCode(t, vector.key))).status, 200);
    });
  }

  it("refuses the code when Rampart is given a different TOTP_SECRETS value than FS used", async () => {
    const other = await migratedApp(fixture.wrongWallet.secrets);
    try {
      const vector = fixture.vectors.find((v) => v.tag === "2")!;
      await migrateUser(other, "fs-wrong@x.test", vector.value);
      toStepStart(other);
      const { c, csrf } = await loginReady(other, "fs-wrong@x.test");
      const r = await validate(c, csrf, oathCode(other, vector.key));
      assert.equal(r.status, 400, r.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    } finally {
      await other.app.close();
    }
  });
});

describe("unified sign-in for a user migrated from Flask-Security", () => {
  it("an authenticator code of the FS-stored us_totp_secrets signs in, and the method is sealed again", async () => {
    const app = await createTestApp({
      config: { totp: { secrets: fixture.secrets, issuer: "Rampart Test" }, unifiedSignin: { enabled: true } } as never,
    });
    const t = clocked(app);
    try {
      const user = await app.rampart.api.createUser({ email: "fs-us@x.test", password: PASSWORD });
      await app.runtime.datastore.users.update(user.id, { usTotpSecrets: fixture.usTotpSecrets.value });
      toStepStart(t);
      const c = app.client();
      const r = await c.post("/us-signin", {
        json: { identity: "fs-us@x.test", passcode: oathCode(t, fixture.usTotpSecrets.methods.authenticator!.key) },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(r.status, 200, r.body);
      const methods = JSON.parse((await app.rampart.api.findUser("fs-us@x.test"))!.usTotpSecrets!) as Record<
        string,
        string
      >;
      assert.match(methods.authenticator!, /^rt1:/);
      assert.match(methods.email!, /^\{"enckey"/, "other methods stay as they were until used");
    } finally {
      await app.close();
    }
  });
});
