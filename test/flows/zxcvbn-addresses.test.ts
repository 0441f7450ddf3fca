/**
 * The zxcvbn checker treats the user's email and username as guessable context. Addresses hold characters that
 * are special in patterns (- + . ? ^ $ { } | / …): every path that checks a new password must answer normally
 * for them (a weak password refused with PASSWORD_TOO_SIMPLE, a strong one accepted), never a 500.
 * On SQLite only: the checker runs on the submitted values before anything is stored; storing and finding such
 * addresses is tested on every dialect by the sign-in flows (unified sign-in, two-factor), Unicode usernames by
 * confusable-usernames.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { ApiError } from "../../src/core/api.js";
import { changePasswordFeature } from "../../src/features/change-password/index.js";
import { recoveryFeature } from "../../src/features/recovery/index.js";
import { csrfFrom, flowApp, register } from "../../src/features/registration/testing/support.js";

const STRONG = "vivid lanterns orbit quietly";
const STRONGER = "amber kettles drift sideways";

/** Addresses covering each kind of character a local part or domain may contain. */
const ADDRESSES = [
  "mary-jane@x-y.test",
  "bob+tag@mail.example.com",
  "first.middle.last@sub.domain.test",
  "o'connor_2@x.test",
  "Mixed.CASE-Name@Example.TEST",
  "a{b}c|d?e^f$g*h/i=j@x.test",
  `${"long-local.part_".repeat(3)}end-of-it-x@x.test`,
];

const localPart = (email: string) => email.slice(0, email.lastIndexOf("@"));
/** The user's own local part plus a weak suffix: the context rule must refuse it. */
const weakFor = (email: string) => `${localPart(email)}2024!!`;

for (const dialect of ["sqlite"] as const) {
  describe(`zxcvbn with addresses full of pattern characters (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await flowApp({
        dialect,
        confirmation: false,
        features: [changePasswordFeature, recoveryFeature],
        config: {
          returnGenericResponses: false,
          username: { enable: true },
          changePassword: { enabled: true },
          recovery: { enabled: true },
          password: { complexityChecker: "zxcvbn" },
        },
      });
    });
    after(() => app.close());

    /** Each address is used once per app; a prefix keeps the tests' users apart. */
    const fresh = (email: string) => `t${++n}${email}`;

    const jsonPost = async (c: TestClient, path: string, body: Record<string, unknown>) =>
      c.post(path, { json: body, headers: { "x-csrf-token": await c.csrf() } });

    it("registration (JSON): weak refused with PASSWORD_TOO_SIMPLE, strong accepted", async () => {
      for (const address of ADDRESSES) {
        const email = fresh(address);
        const weak = await register(app.client(), {
          email,
          password: weakFor(email),
          password_confirm: weakFor(email),
        });
        assert.equal(weak.status, 400, `${email}: ${weak.body}`);
        assert.deepEqual(weak.json.response.field_errors.password, ["Password not complex enough"], email);
        const ok = await register(app.client(), { email, password: STRONG, password_confirm: STRONG });
        assert.equal(ok.status, 200, `${email}: ${ok.body}`);
      }
    });

    it("registration (HTML form): weak re-renders with the message, strong redirects", async () => {
      for (const address of ADDRESSES) {
        const email = fresh(address);
        const c = app.client();
        const page = await c.get("/register");
        const weak = await c.post("/register", {
          form: { email, password: weakFor(email), password_confirm: weakFor(email), csrf_token: csrfFrom(page.body) },
        });
        assert.equal(weak.status, 200, `${email}: ${weak.body.slice(0, 300)}`);
        assert.match(weak.body, /Password not complex enough/, email);
        const ok = await c.post("/register", {
          form: { email, password: STRONG, password_confirm: STRONG, csrf_token: csrfFrom(weak.body) },
        });
        assert.equal(ok.status, 302, `${email}: ${ok.body.slice(0, 300)}`);
      }
    });

    it("usernames in upper case and Unicode are context too", async () => {
      for (const username of ["ZoëÑandú", "Жанна7", "Agent007X"]) {
        const email = fresh("u-ser@x.test");
        const weak = await register(app.client(), {
          email,
          username,
          password: `${username}2024!!`,
          password_confirm: `${username}2024!!`,
        });
        assert.equal(weak.status, 400, `${username}: ${weak.body}`);
        assert.deepEqual(weak.json.response.error_codes, ["PASSWORD_TOO_SIMPLE"], username);
        const ok = await register(app.client(), { email, username, password: STRONG, password_confirm: STRONG });
        assert.equal(ok.status, 200, `${username}: ${ok.body}`);
      }
    });

    it("change password (JSON and form) and reset: weak refused, strong accepted", async () => {
      for (const address of ADDRESSES) {
        const email = fresh(address);
        // Stored directly, so that this test reaches /change and /reset even if api.createUser fails.
        await app.rampart.datastore.users.create({
          email,
          username: null,
          password: await app.rampart.api.hashPassword(STRONG),
          active: true,
          confirmedAt: null,
        });
        const c = app.client();
        assert.equal((await c.login(email, STRONG)).status, 200);
        const weak = await jsonPost(c, "/change", {
          password: STRONG,
          new_password: weakFor(email),
          new_password_confirm: weakFor(email),
        });
        assert.equal(weak.status, 400, `${email}: ${weak.body}`);
        assert.deepEqual(weak.json.response.error_codes, ["PASSWORD_TOO_SIMPLE"], email);
        const page = await c.get("/change");
        const weakForm = await c.post("/change", {
          form: {
            password: STRONG,
            new_password: weakFor(email),
            new_password_confirm: weakFor(email),
            csrf_token: csrfFrom(page.body),
          },
        });
        assert.equal(weakForm.status, 200, email);
        assert.match(weakForm.body, /Password not complex enough/, email);
        const ok = await jsonPost(c, "/change", {
          password: STRONG,
          new_password: STRONGER,
          new_password_confirm: STRONGER,
        });
        assert.equal(ok.status, 200, `${email}: ${ok.body}`);

        const asked = await jsonPost(app.client(), "/reset", { email });
        assert.equal(asked.status, 200, asked.body);
        const mail = await app.sink.waitFor(
          (m) =>
            m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase()) &&
            m.subject === "Password reset instructions",
        );
        const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"));
        assert.ok(link, mail.text);
        const browser = app.client();
        const path = new URL(link).pathname;
        const weakReset = await jsonPost(browser, path, { password: weakFor(email), password_confirm: weakFor(email) });
        assert.equal(weakReset.status, 400, `${email}: ${weakReset.body}`);
        assert.deepEqual(weakReset.json.response.error_codes, ["PASSWORD_TOO_SIMPLE"], email);
        const reset = await jsonPost(browser, path, { password: STRONG, password_confirm: STRONG });
        assert.equal(reset.status, 200, `${email}: ${reset.body}`);
      }
    });

    it("api.createUser and api.changePassword: weak refused with PASSWORD_TOO_SIMPLE, strong accepted", async () => {
      const tooSimple = (e: unknown) => e instanceof ApiError && e.code === "PASSWORD_TOO_SIMPLE";
      for (const address of ADDRESSES) {
        const email = fresh(address);
        await assert.rejects(app.rampart.api.createUser({ email, password: weakFor(email) }), tooSimple, email);
        const user = await app.rampart.api.createUser({ email, password: STRONG });
        await assert.rejects(app.rampart.api.changePassword(user, weakFor(email)), tooSimple, email);
        await app.rampart.api.changePassword(user, STRONGER);
      }
    });
  });
}
