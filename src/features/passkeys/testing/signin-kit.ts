import assert from "node:assert/strict";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../../test/helpers/client.js";
import { SoftAuthenticator, type Forgery } from "../../../../test/helpers/soft-authenticator.js";
import type { UserRecord } from "../../../datastore/contracts.js";
import { enrolPasskey } from "./enrol.js";

/** Shared setup of the passkey sign-in tests (excluded from the build). */
export const PASSWORD = "correct horse battery";
export const ORIGIN = "https://app.test";

export async function createWanApp(
  dialect: "sqlite" | "postgres" | "mysql",
  webauthn: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<TestApp> {
  return createTestApp({
    dialect,
    config: {
      ...extra,
      totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      webauthn: { enabled: true, ...webauthn },
    } as never,
  });
}

/** A user with one passkey of `usage` on a new software authenticator. */
export async function userWithPasskey(
  app: TestApp,
  email: string,
  usage: "first" | "secondary" = "first",
  authOptions: { uv?: boolean; counterStep?: number } = {},
): Promise<{ user: UserRecord; auth: SoftAuthenticator }> {
  const user = await app.rampart.api.createUser({ email, password: PASSWORD });
  const auth = new SoftAuthenticator({ origin: ORIGIN, ...authOptions });
  await enrolPasskey(app, user, auth, { name: `Key of ${email.slice(0, 20)}`, usage });
  return { user: (await app.runtime.datastore.users.findById(user.id))!, auth };
}

/** POST /wan-signin as JSON (with the CSRF token of the client's session); asserts the 200. */
export async function startSignin(
  c: TestClient,
  body: Record<string, unknown> = {},
): Promise<{ options: any; state: string; reply: Reply; csrf: string }> {
  const csrf = await c.csrf();
  const reply = await c.post("/wan-signin", { json: body, headers: { "x-csrf-token": csrf } });
  assert.equal(reply.status, 200, reply.body);
  return { options: reply.json.response.credential_options, state: reply.json.response.wan_state, reply, csrf };
}

/** POST /wan-signin/<state> with an assertion (a JSON string, as FS's script sends it). */
export function finishSignin(
  c: TestClient,
  state: string,
  csrf: string,
  credential: AuthenticationResponseJSON | string,
  query = "",
): Promise<Reply> {
  return c.post(`/wan-signin/${state}${query}`, {
    json: { credential: typeof credential === "string" ? credential : JSON.stringify(credential) },
    headers: { "x-csrf-token": csrf },
  });
}

/** A whole first-factor sign-in by passkey: start (with `body`), the authenticator's answer, finish. */
export async function passkeySignin(
  c: TestClient,
  auth: SoftAuthenticator,
  body: Record<string, unknown> = {},
  forge: Forgery = {},
  query = "",
): Promise<Reply> {
  const { options, state, csrf } = await startSignin(c, body);
  return finishSignin(c, state, csrf, auth.get(options, forge), query);
}

/** The caller is signed in (a protected resource answers 200), or not (401). */
export async function signedIn(c: TestClient): Promise<boolean> {
  const r = await c.get("/api/protected", { acceptJson: true });
  assert.ok(r.status === 200 || r.status === 401, r.body);
  return r.status === 200;
}

/** The amr of an opaque access token (its signed payload: base64url JSON before the signature). */
export function amrOf(reply: Reply): string[] {
  const token = reply.json.response.user?.authentication_token;
  assert.equal(typeof token, "string", reply.body);
  const [body] = (token as string).split(".");
  return JSON.parse(Buffer.from(body!, "base64url").toString("utf8")).amr as string[];
}
