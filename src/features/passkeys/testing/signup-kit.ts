/** Test support for passkey-first sign-up (excluded from the build). */
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../../test/helpers/client.js";
import type { SoftAuthenticator } from "../../../../test/helpers/soft-authenticator.js";
import type { RampartOptions } from "../../../create-rampart.js";

export type Dialect = "sqlite" | "postgres" | "mysql";

/** An app with passkey sign-up on (registration, recovery codes), confirmation as asked, mail to the sink. */
export function signupApp(
  dialect: Dialect,
  options: { confirmation?: boolean; config?: Record<string, unknown>; hooks?: RampartOptions["hooks"] } = {},
): Promise<TestApp> {
  const { confirmation = true, config = {}, hooks } = options;
  return createTestApp({
    dialect,
    mail: true,
    ...(hooks ? { hooks } : {}),
    config: {
      totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      registration: { enabled: true },
      confirmation: { enabled: confirmation },
      webauthn: { enabled: true, signup: true },
      ...config,
      twoFactor: { enabled: true, recoveryCodes: true, ...(config.twoFactor as object | undefined) },
    } as never,
  });
}

/** POST /wan-signup as an SPA does (JSON, CSRF header). */
export async function startSignup(c: TestClient, body: Record<string, unknown>): Promise<Reply> {
  const csrf = (await c.get("/wan-signup", { acceptJson: true })).json.response.csrf_token as string;
  return c.post("/wan-signup", { json: body, headers: { "x-csrf-token": csrf } });
}

/** POST /wan-signup/<state> with the authenticator's answer (as FS clients send it: a JSON string). */
export async function finishSignup(c: TestClient, state: string, credential: unknown): Promise<Reply> {
  const csrf = (await c.get("/wan-signup", { acceptJson: true })).json.response.csrf_token as string;
  return c.post(`/wan-signup/${state}`, {
    json: { credential: JSON.stringify(credential) },
    headers: { "x-csrf-token": csrf },
  });
}

/** The whole JSON sign-up: start, create the passkey with `auth`, finish. */
export async function signUp(
  c: TestClient,
  auth: SoftAuthenticator,
  body: Record<string, unknown>,
): Promise<{ start: Reply; finish: Reply }> {
  const start = await startSignup(c, body);
  assert.equal(start.status, 200, start.body);
  const finish = await finishSignup(
    c,
    start.json.response.wan_state,
    auth.create(start.json.response.credential_options),
  );
  return { start, finish };
}
