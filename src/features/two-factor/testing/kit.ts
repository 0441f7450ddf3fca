import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../../test/helpers/client.js";
import { clocked, oathCode, toStepStart, type ClockedApp } from "../../../../test/helpers/totp-clock.js";
import type { Feature } from "../../../core/feature.js";
import { twoFactorFeature } from "../index.js";

/** Shared setup for the two-factor flow tests (excluded from the build). */
export const PASSWORD = "correct horse battery";

export type TfApp = ClockedApp;

export async function createTfApp(
  dialect: "sqlite" | "postgres" | "mysql",
  twoFactor: Record<string, unknown> = {},
  mail = false,
  extra: Record<string, unknown> = {},
  features: Feature[] = [],
): Promise<TfApp> {
  const app = await createTestApp({
    dialect,
    mail,
    config: {
      ...extra,
      totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      twoFactor: { enabled: true, ...twoFactor },
    } as never,
    features: [twoFactorFeature, ...features],
  });
  return clocked(app);
}

export { oathCode as oath, toStepStart };

/** POST /tf-validate with the CSRF token of the pending login. */
export function validate(c: TestClient, csrf: string, code: string, query = ""): Promise<Reply> {
  return c.post(`/tf-validate${query}`, { json: { code }, headers: { "x-csrf-token": csrf } });
}

/** Password login that must stop at the second factor; returns the reply. */
export async function loginPending(c: TestClient, email: string, state: "ready" | "setup_from_login"): Promise<Reply> {
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.response.tf_required, true);
  assert.equal(r.json.response.tf_state, state);
  assert.equal(r.json.response.user, undefined);
  assert.equal(r.json.response.authentication_token, undefined);
  return r;
}

/** Creates a user and enrols an authenticator through the login flow; returns the base32 secret. */
export async function enrolAuthenticator(t: TfApp, email: string): Promise<string> {
  await t.app.rampart.api.createUser({ email, password: PASSWORD });
  const c = t.app.client();
  const cfg = t.app.runtime.config as unknown as { twoFactor: { required: boolean } };
  // Not required: enrol as a signed-in user instead (state token flow).
  if (!cfg.twoFactor.required) {
    const login = await c.login(email, PASSWORD);
    assert.equal(login.status, 200, login.body);
    const csrf = login.json.response.csrf_token as string;
    const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
    assert.equal(s.status, 200, s.body);
    const secret = s.json.response.tf_authr_key as string;
    const done = await c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
      json: { code: oathCode(t, secret) },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(done.status, 200, done.body);
    return secret;
  }
  const login = await loginPending(c, email, "setup_from_login");
  const csrf = login.json.response.csrf_token as string;
  const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
  assert.equal(s.status, 200, s.body);
  const secret = s.json.response.tf_authr_key as string;
  const done = await validate(c, csrf, oathCode(t, secret));
  assert.equal(done.status, 200, done.body);
  return secret;
}

/** Every cookie the client holds, replayed to a protected route: must be 401. */
export async function assertNothingGranted(t: TfApp, c: TestClient): Promise<void> {
  for (const [name, value] of c.jar) {
    const r = await t.app.client().get("/api/protected", { acceptJson: true, headers: { cookie: `${name}=${value}` } });
    assert.equal(r.status, 401, `cookie ${name} must grant nothing`);
  }
  const all = await c.get("/api/protected", { acceptJson: true });
  assert.equal(all.status, 401);
}

/** Signs `email` in completely (password + authenticator code, the session proves the second factor). */
export async function signInWithCode(
  t: TfApp,
  email: string,
  secret: string,
): Promise<{ c: TestClient; csrf: string }> {
  toStepStart(t);
  const c = t.app.client();
  const l = await loginPending(c, email, "ready");
  const ok = await validate(c, l.json.response.csrf_token, oathCode(t, secret));
  assert.equal(ok.status, 200, ok.body);
  return { c, csrf: ok.json.response.csrf_token as string };
}
