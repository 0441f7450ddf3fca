import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../../test/helpers/client.js";
import { clocked, oathCode, toStepStart, type ClockedApp } from "../../../../test/helpers/totp-clock.js";

/** Shared setup for the unified sign-in flow tests (excluded from the build). */
export const PASSWORD = "correct horse battery";

export type UsApp = ClockedApp;

export async function createUsApp(
  dialect: "sqlite" | "postgres" | "mysql",
  unifiedSignin: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<UsApp> {
  const app = await createTestApp({
    dialect,
    mail: true,
    config: {
      returnGenericResponses: false,
      ...extra,
      totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      unifiedSignin: { enabled: true, ...unifiedSignin },
    } as never,
  });
  return clocked(app);
}

export { oathCode as oath, toStepStart };

export function codeIn(text: string): string {
  const m = /code to sign in: (\d{6})/.exec(text) ?? /(\d{6})/.exec(text);
  assert.ok(m, `a code in: ${text}`);
  return m![1]!;
}

/** The newest us_instructions mail to `to` (consumed from the sink). */
export async function usMail(t: UsApp, to: string): Promise<{ text: string; code: string; link: string | null }> {
  const mail = await t.app.sink.waitFor((m) => m.envelopeTo.includes(to) && m.subject === "Verification Code");
  t.app.sink.clear();
  const link = /https:\/\/app\.test\/us-verify-link\?\S+/.exec(mail.text)?.[0] ?? null;
  return { text: mail.text, code: codeIn(mail.text), link };
}

export async function post(c: TestClient, path: string, json: Record<string, unknown>): Promise<Reply> {
  const csrf = await c.csrf();
  return c.post(path, { json, headers: { "x-csrf-token": csrf } });
}

/** A signed-in client for a new password user. */
export async function signedIn(t: UsApp, email: string): Promise<TestClient> {
  await t.app.rampart.api.createUser({ email, password: PASSWORD });
  const c = t.app.client();
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 200, r.body);
  return c;
}

/** Sets up the email method for a signed-in client (code from the mail). */
export async function setupEmail(t: UsApp, c: TestClient, email: string): Promise<void> {
  const s = await post(c, "/us-setup", { chosen_method: "email" });
  assert.equal(s.status, 200, s.body);
  const { code, link } = await usMail(t, email);
  assert.equal(link, null, "no magic link during setup");
  const done = await post(c, `/us-setup/${s.json.response.state}`, { passcode: code });
  assert.equal(done.status, 200, done.body);
}

/** Asks for a sign-in code by email and returns the mail's code and link. */
export async function requestEmailCode(
  t: UsApp,
  email: string,
): Promise<{ code: string; link: string | null; text: string }> {
  const r = await post(t.app.client(), "/us-signin/send-code", { identity: email, chosen_method: "email" });
  assert.equal(r.status, 200, r.body);
  return usMail(t, email);
}

export async function signedInAs(c: TestClient): Promise<boolean> {
  return (await c.get("/api/protected", { acceptJson: true })).status === 200;
}
