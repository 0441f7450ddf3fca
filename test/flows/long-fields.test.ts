/**
 * Over-long fields (within the body limit) answer the field's own message under `field_errors`, as
 * Flask-Security's form validators do, never a bare API_ERROR; a JSON body of `null` reads as an empty form.
 * Every endpoint that takes a string field, signed out and signed in, JSON and HTML form.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { linksIn } from "../helpers/smtp-sink.js";

const PASSWORD = "correct horse battery";
const EMAIL_400 = `${"a".repeat(392)}@x.test`;
const EMAIL_2000 = `${"b".repeat(1992)}@x.test`;
const LONG_PASSWORD = "p".repeat(60_000);
/** For a password and its confirmation together within the 64 KiB body limit. */
const LONG_PAIR = "q".repeat(30_000);
const LONG_NAME = "n".repeat(2000);
const LONG_NEXT = `/${"x".repeat(3000)}`;
const LONG_WORD = "w".repeat(100);

/** 400 with `code` under `field` (its text in `errors` too), and no API_ERROR. */
function assertFieldError(r: Reply, field: string, code: string, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.body.slice(0, 300)}`);
  const res = r.json.response;
  assert.ok(!res.error_codes.includes("API_ERROR"), `${what}: ${JSON.stringify(res.error_codes)}`);
  assert.ok(res.error_codes.includes(code), `${what}: ${JSON.stringify(res.error_codes)}`);
  assert.ok(
    Array.isArray(res.field_errors?.[field]) && res.field_errors[field].length > 0,
    `${what}: ${JSON.stringify(res.field_errors)}`,
  );
  for (const text of res.field_errors[field]) assert.ok(res.errors.includes(text));
}

for (const dialect of flowDialects()) {
  describe(`over-long fields get their own messages (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          returnGenericResponses: false,
          registration: { enabled: true },
          confirmation: { enabled: true },
          recovery: { enabled: true },
          changePassword: { enabled: true },
          changeEmail: { enable: true },
          username: { enable: true },
          usernameFeatures: { changeUsername: true, recovery: true },
          twoFactor: { enabled: true, enabledMethods: ["email", "authenticator"] },
          unifiedSignin: { enabled: true, enabledMethods: ["password", "email", "authenticator"] },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        } as never,
      });
    });
    after(() => app.close());

    const post = async (c: TestClient, path: string, json: unknown) =>
      c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
    const signedIn = async () => {
      const email = `user${++n}@x.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = app.client();
      const r = await c.login(email, PASSWORD);
      assert.equal(r.status, 200, r.body);
      const csrf = r.json.response.csrf_token as string;
      return {
        c,
        email,
        post: (path: string, json: unknown) => c.post(path, { json, headers: { "x-csrf-token": csrf } }),
      };
    };

    it("signed out, JSON: login, register, forgot, confirm, recover-username, unified sign-in", async () => {
      await app.rampart.api.createUser({ email: "known@x.test", password: PASSWORD, confirmed: true });
      const cases: [string, Record<string, unknown>, string, string][] = [
        ["/login", { email: EMAIL_400, password: PASSWORD }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/login", { email: EMAIL_2000, password: PASSWORD }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/login", { email: "known@x.test", password: LONG_PASSWORD }, "password", "INVALID_PASSWORD"],
        ["/login", { username: LONG_NAME, password: PASSWORD }, "username", "USER_DOES_NOT_EXIST"],
        ["/login", { email: "known@x.test", password: PASSWORD, next: LONG_NEXT }, "next", "INVALID_REDIRECT"],
        [
          "/register",
          { email: EMAIL_2000, password: PASSWORD, password_confirm: PASSWORD },
          "email",
          "INVALID_EMAIL_ADDRESS",
        ],
        [
          "/register",
          { email: "r@x.test", username: LONG_NAME, password: PASSWORD, password_confirm: PASSWORD },
          "username",
          "USERNAME_INVALID_LENGTH",
        ],
        [
          "/register",
          { email: "r@x.test", password: LONG_PAIR, password_confirm: LONG_PAIR },
          "password",
          "PASSWORD_TOO_LONG",
        ],
        [
          "/register",
          { email: "r@x.test", password: PASSWORD, password_confirm: LONG_PASSWORD },
          "password_confirm",
          "RETYPE_PASSWORD_MISMATCH",
        ],
        [
          "/register",
          { email: "r@x.test", password: PASSWORD, password_confirm: PASSWORD, next: LONG_NEXT },
          "next",
          "INVALID_REDIRECT",
        ],
        ["/reset", { email: EMAIL_2000 }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/confirm", { email: EMAIL_2000 }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/recover-username", { email: EMAIL_2000 }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/us-signin", { identity: EMAIL_400, passcode: PASSWORD }, "identity", "US_SPECIFY_IDENTITY"],
        ["/us-signin", { identity: "known@x.test", passcode: LONG_PASSWORD }, "passcode", "INVALID_PASSWORD_CODE"],
        ["/us-signin/send-code", { identity: EMAIL_400, chosen_method: "email" }, "identity", "US_SPECIFY_IDENTITY"],
        [
          "/us-signin/send-code",
          { identity: "known@x.test", chosen_method: LONG_WORD },
          "chosen_method",
          "US_METHOD_NOT_AVAILABLE",
        ],
        ["/tf-rescue", { help_setup: LONG_WORD }, "help_setup", "TWO_FACTOR_METHOD_NOT_AVAILABLE"],
      ];
      for (const [path, body, field, code] of cases)
        assertFieldError(await post(app.client(), path, body), field, code, `${path} ${field}`);
      assert.equal(await app.rampart.api.findUser("r@x.test"), null);
    });

    it("signed out, HTML forms: the page comes back with the field's message", async () => {
      const c = app.client();
      const csrfOf = async (path: string) => /name="csrf_token" value="([^"]+)"/.exec((await c.get(path)).body)![1]!;
      const login = await c.post("/login", {
        form: { email: EMAIL_400, password: PASSWORD, csrf_token: await csrfOf("/login") },
      });
      assert.equal(login.status, 200);
      assert.match(login.body, /Invalid email address/);
      const register = await c.post("/register", {
        form: {
          email: "form@x.test",
          password: LONG_PAIR,
          password_confirm: LONG_PAIR,
          csrf_token: await csrfOf("/register"),
        },
      });
      assert.equal(register.status, 200);
      assert.match(register.body, /Password must be at most 128 characters/);
    });

    it("a JSON body of null reads as an empty form: the required fields' messages", async () => {
      const cases: [string, [string, string][]][] = [
        [
          "/login",
          [
            ["email", "EMAIL_NOT_PROVIDED"],
            ["password", "PASSWORD_NOT_PROVIDED"],
          ],
        ],
        [
          "/register",
          [
            ["email", "EMAIL_NOT_PROVIDED"],
            ["password", "PASSWORD_NOT_PROVIDED"],
          ],
        ],
        ["/reset", [["email", "EMAIL_NOT_PROVIDED"]]],
        ["/us-signin", [["identity", "US_SPECIFY_IDENTITY"]]],
      ];
      for (const [path, fields] of cases) {
        const r = await post(app.client(), path, "null");
        for (const [field, code] of fields) assertFieldError(r, field, code, `${path} null`);
      }
    });

    it("signed in, JSON: change password, change email, change username, verify, sessions, two-factor and unified sign-in set-up", async () => {
      const cases: [string, Record<string, unknown>, string, string][] = [
        [
          "/change",
          { password: LONG_PASSWORD, new_password: "a new pass phrase", new_password_confirm: "a new pass phrase" },
          "password",
          "INVALID_PASSWORD",
        ],
        [
          "/change",
          { password: PASSWORD, new_password: LONG_PAIR, new_password_confirm: LONG_PAIR },
          "new_password",
          "PASSWORD_TOO_LONG",
        ],
        ["/change-email", { email: EMAIL_2000 }, "email", "INVALID_EMAIL_ADDRESS"],
        ["/change-username", { username: LONG_NAME }, "username", "USERNAME_INVALID_LENGTH"],
        ["/verify", { password: LONG_PASSWORD }, "password", "INVALID_PASSWORD"],
        ["/verify", { password: PASSWORD, next: LONG_NEXT }, "next", "INVALID_REDIRECT"],
        ["/sessions/revoke", { id: LONG_WORD }, "id", "INVALID_SESSION_ID"],
        ["/tf-setup", { setup: LONG_WORD }, "setup", "TWO_FACTOR_METHOD_NOT_AVAILABLE"],
        ["/us-setup", { chosen_method: LONG_WORD }, "chosen_method", "US_METHOD_NOT_AVAILABLE"],
        ["/us-setup", { delete_method: LONG_WORD }, "delete_method", "US_METHOD_NOT_AVAILABLE"],
        ["/us-setup", { delete_method: ["email", LONG_WORD] }, "delete_method", "US_METHOD_NOT_AVAILABLE"],
      ];
      for (const [path, body, field, code] of cases) {
        const s = await signedIn();
        assertFieldError(await s.post(path, body), field, code, `${path} ${field}`);
      }
      const s = await signedIn();
      const page = await s.c.get("/change");
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const form = await s.c.post("/change", {
        form: {
          password: LONG_PASSWORD,
          new_password: "a new pass phrase",
          new_password_confirm: "a new pass phrase",
          csrf_token: csrf,
        },
      });
      assert.equal(form.status, 200);
      assert.match(form.body, /Invalid password/);
    });

    it("reset link: an over-long new password gets PASSWORD_TOO_LONG", async () => {
      const email = `reset${++n}@x.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      assert.equal((await post(app.client(), "/reset", { email })).status, 200);
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes(email) && m.subject === "Password reset instructions",
      );
      const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"))!;
      const r = await post(app.client(), new URL(link).pathname, { password: LONG_PAIR, password_confirm: LONG_PAIR });
      assertFieldError(r, "password", "PASSWORD_TOO_LONG", "reset");
    });
  });
}
