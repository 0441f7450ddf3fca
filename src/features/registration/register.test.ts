import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import type { TestApp } from "../../../test/helpers/app.js";
import { FakeBreachedApi } from "../../../test/helpers/breached-api.js";
import { PASSWORD, csrfFrom, flowApp, linkPath, mailTo, register, registration } from "./testing/support.js";

/** /register without confirmation and with FS's specific errors (generic responses off). */
describe("POST /register (JSON, specific errors)", () => {
  let app: TestApp;
  const events: { email: string; formData: Record<string, unknown> }[] = [];
  before(async () => {
    app = await flowApp({ confirmation: false, config: { returnGenericResponses: false } });
    app.rampart.events.on("user_registered", ({ user, formData }) => void events.push({ email: user.email, formData }));
  });
  after(() => app.close());

  it("creates the user, signs them in, answers exactly user/csrf_token/tf_required and sends one welcome mail", async () => {
    const c = app.client();
    const r = await register(c, registration("new@x.test"));
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "tf_required", "user"]);
    assert.equal(r.json.response.tf_required, false);
    assert.deepEqual(r.json.response.user, { email: "new@x.test" });
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    const mail = await mailTo(app, "new@x.test", "Welcome");
    assert.match(mail.text, /Welcome new@x\.test!/);
    assert.doesNotMatch(mail.text, /confirm/i, "no confirmation link without confirmation");
    assert.equal(app.sink.messages.filter((m) => m.envelopeTo.includes("new@x.test")).length, 1);
    const event = events.find((e) => e.email === "new@x.test")!;
    assert.deepEqual(event.formData, { email: "new@x.test" });
    assert.ok(!JSON.stringify(events).includes(PASSWORD), "the password never reaches the event");
    const audit = await app.rampart.api.auditEvents({ event: "register" });
    assert.equal(audit[0]!.outcome, "success");
    assert.ok(!JSON.stringify(audit).includes(PASSWORD));
  });

  it("?include_auth_token gives a working token", async () => {
    const r = await register(app.client(), registration("token@x.test"), "?include_auth_token");
    const token = r.json.response.user.authentication_token;
    assert.equal(typeof token, "string");
    const p = await app
      .client()
      .get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } });
    assert.equal(p.status, 200);
  });

  it("answers each error of the endpoint table in the contract's shape", async () => {
    await register(app.client(), registration("taken@x.test"));
    const cases: [Record<string, unknown>, string, string, string][] = [
      [
        registration("TAKEN@X.test"),
        "email",
        "EMAIL_ALREADY_ASSOCIATED",
        "TAKEN@x.test is already associated with an account.",
      ],
      [
        registration("a@x.test", { password_confirm: "something else" }),
        "password_confirm",
        "RETYPE_PASSWORD_MISMATCH",
        "Passwords do not match",
      ],
      [
        registration("a@x.test", { password_confirm: undefined }),
        "password_confirm",
        "PASSWORD_NOT_PROVIDED",
        "Password not provided",
      ],
      [{ email: "a@x.test" }, "password", "PASSWORD_NOT_PROVIDED", "Password not provided"],
      [
        registration("a@x.test", { password: "abc", password_confirm: "abc" }),
        "password",
        "PASSWORD_INVALID_LENGTH",
        "Password must be at least 8 characters",
      ],
      [registration("dude"), "email", "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      [registration("victim@x.test\r\nBcc: e@evil.example"), "email", "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      [registration("victim＠evil.example"), "email", "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      [{ password: PASSWORD, password_confirm: PASSWORD }, "email", "EMAIL_NOT_PROVIDED", "Email not provided"],
      [
        registration("a@x.test", { next: "https://evil.example/" }),
        "next",
        "INVALID_REDIRECT",
        "Redirections outside the domain are forbidden",
      ],
    ];
    for (const [body, field, code, text] of cases) {
      const r = await register(app.client(), body);
      assert.equal(r.status, 400, `${code}: ${r.body}`);
      assert.deepEqual(r.json.response.field_errors[field], [text], code);
      assert.ok(r.json.response.error_codes.includes(code), code);
      assert.ok(r.json.response.errors.includes(text));
      assert.equal(r.json.response.csrf_token, undefined);
    }
    assert.equal(await app.rampart.datastore.users.count(), 3, "no user created by a refused registration");
  });

  it("wrong types, anonymous-only and CSRF are refused with 400, never 500", async () => {
    for (const body of [
      { email: { $ne: null }, password: PASSWORD },
      { email: ["a@x.test", "b@x.test"], password: PASSWORD },
      { email: "a@x.test", password: 12345678 },
    ]) {
      const r = await register(app.client(), body);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["API_ERROR"]);
    }
    const c = app.client();
    await c.login("new@x.test", PASSWORD);
    const page = await c.get("/register", { acceptJson: true });
    assert.equal(page.status, 400);
    const r = await c.post("/register", {
      json: registration("again@x.test"),
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.errors, ["You can only access this endpoint when not logged in."]);
    // A browser that holds a cookie (a client without any cookie is an API client, not asked for CSRF).
    const browser = app.client();
    await browser.get("/login", { acceptJson: true });
    const noCsrf = await browser.post("/register", { json: registration("nocsrf@x.test") });
    assert.equal(noCsrf.status, 400);
    assert.deepEqual(noCsrf.json.response.error_codes, ["CSRF_MISSING"]);
    assert.equal(await app.rampart.api.findUser("nocsrf@x.test"), null);
  });
});

describe("registration options and policies", () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it("PASSWORD_CONFIRM_REQUIRED=false: no confirmation needed (a given one must still match)", async () => {
    const app = await flowApp({
      confirmation: false,
      mail: false,
      config: { registration: { passwordConfirmRequired: false } },
    });
    apps.push(app);
    assert.equal((await register(app.client(), { email: "one@x.test", password: PASSWORD })).status, 200);
    const mismatch = await register(app.client(), {
      email: "two@x.test",
      password: PASSWORD,
      password_confirm: "nope nope",
    });
    assert.deepEqual(mismatch.json.response.error_codes, ["RETYPE_PASSWORD_MISMATCH"]);
  });

  it("complexity and breached checks refuse weak passwords, with the email as context", async () => {
    const api = await new FakeBreachedApi([{ password: "hunter2hunter2", count: 42 }]).start();
    const app = await flowApp({
      confirmation: false,
      mail: false,
      config: {
        returnGenericResponses: false,
        password: { complexityChecker: "zxcvbn", checkBreached: "strict", breachedApiBaseUrl: api.url },
      },
    });
    apps.push(app);
    try {
      const breached = await register(
        app.client(),
        registration("b@x.test", { password: "hunter2hunter2", password_confirm: "hunter2hunter2" }),
      );
      assert.deepEqual(breached.json.response.error_codes, ["PASSWORD_BREACHED"]);
      const simple = await register(
        app.client(),
        registration("alice.smith@x.test", { password: "alice.smith2024", password_confirm: "alice.smith2024" }),
      );
      assert.deepEqual(simple.json.response.field_errors.password, ["Password not complex enough"]);
      assert.equal(
        (
          await register(
            app.client(),
            registration("fine@x.test", {
              password: "vivid lanterns orbit quietly",
              password_confirm: "vivid lanterns orbit quietly",
            }),
          )
        ).status,
        200,
      );
    } finally {
      await api.close();
    }
  });

  it("usernames: rules, uniqueness, required, and sign-in by username afterwards", async () => {
    const app = await flowApp({
      confirmation: false,
      mail: false,
      config: { returnGenericResponses: false, username: { enable: true, required: true } },
    });
    apps.push(app);
    const cases: [string | undefined, string][] = [
      ["dud", "Username must be at least 4 characters and less than 32 characters"],
      ["<script>", "Username contains illegal characters"],
      ["hi there?", "Username can contain only letters and numbers"],
      [undefined, "Username not provided"],
    ];
    for (const [username, text] of cases) {
      const r = await register(app.client(), registration("u@x.test", { username }));
      assert.deepEqual(r.json.response.field_errors.username, [text], String(username));
    }
    const ok = await register(app.client(), registration("u@x.test", { username: "Ünïcode1" }));
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json.response.user.username, "Ünïcode1".normalize("NFKD"));
    const dup = await register(app.client(), registration("v@x.test", { username: "ünïcode1" }));
    assert.deepEqual(dup.json.response.error_codes, ["USERNAME_ALREADY_ASSOCIATED"]);
    const c = app.client();
    const csrf = await c.csrf();
    const login = await c.post("/login", {
      json: { username: "ÜNÏCODE1", password: PASSWORD },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(login.status, 200, login.body);
  });

  it("mass assignment: only declared user fields reach the account; roles, flags and secrets never do", async () => {
    const app = await flowApp({
      confirmation: true,
      mail: false,
      config: { returnGenericResponses: false },
      userFields: {
        first_name: { schema: z.string().max(40).optional() },
        nickname: { schema: z.string().optional(), register: false },
      },
    });
    apps.push(app);
    await app.rampart.api.createRole({ name: "admin" });
    const attack = {
      ...registration("mallory@x.test"),
      first_name: "Mallory",
      nickname: "boss",
      roles: ["admin"],
      permissions: ["*"],
      active: false,
      confirmed_at: "2020-01-01T00:00:00Z",
      confirmedAt: "2020-01-01T00:00:00Z",
      email_verified: true,
      fs_uniquifier: "chosen-uniquifier",
      fs_token_uniquifier: "chosen-token-uniquifier",
      tf_primary_method: "email",
      tf_totp_secret: "secret",
      password_hash: "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA",
      id: 1,
      create_datetime: "2000-01-01",
      profile: { nickname: "boss" },
      constructor: { prototype: { isAdmin: true } },
    };
    // "__proto__" as a real JSON key (an object literal would set the prototype instead).
    const raw = JSON.stringify(attack).replace(/^\{/, '{"__proto__":{"roles":["admin"],"active":false},');
    const r = await register(app.client(), raw);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json.response.user, { email: "mallory@x.test", first_name: "Mallory", nickname: null });
    const user = (await app.rampart.api.findUser("mallory@x.test"))!;
    assert.equal(user.active, true);
    assert.equal(user.confirmedAt, null);
    assert.notEqual(user.fsUniquifier, "chosen-uniquifier");
    assert.notEqual(user.fsTokenUniquifier, "chosen-token-uniquifier");
    assert.equal(user.tfPrimaryMethod, null);
    assert.equal(user.tfTotpSecret, null);
    assert.match(user.password!, /^\$argon2id\$/);
    assert.notEqual(user.password, attack.password_hash);
    assert.deepEqual(user.profile, { first_name: "Mallory" });
    assert.deepEqual(await app.rampart.api.rolesOf(user), []);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);

    const bad = await register(app.client(), { ...registration("long@x.test"), first_name: "x".repeat(41) });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.json.response.field_errors.first_name,
      ["Too big: expected string to have <=40 characters"],
      "the schema's own message",
    );
    const wrongType = await register(app.client(), { ...registration("num@x.test"), first_name: 42 });
    assert.deepEqual(wrongType.json.response.error_codes, ["INVALID_FIELD"]);
  });
});

describe("the registration page (HTML form)", () => {
  let app: TestApp;
  before(async () => {
    app = await flowApp({ config: { registration: { postRegisterView: "/confirm" } } });
  });
  after(() => app.close());

  it("shows a form; errors re-render it escaped; success redirects with a flash; the link in the mail confirms", async () => {
    const c = app.client();
    const page = await c.get("/register");
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="post" action="\/register" id="register-form"/);
    assert.match(page.body, /name="password_confirm"/);
    const evil = `"><script>alert(1)</script>@x.test`;
    const bad = await c.post("/register", {
      form: { email: evil, password: PASSWORD, password_confirm: PASSWORD, csrf_token: csrfFrom(page.body) },
    });
    assert.equal(bad.status, 200);
    assert.ok(!bad.body.includes("<script>alert(1)</script>"));
    assert.match(bad.body, /Invalid email address/);
    const ok = await c.post("/register", {
      form: { email: "form@x.test", password: PASSWORD, password_confirm: PASSWORD, csrf_token: csrfFrom(bad.body) },
    });
    assert.equal(ok.status, 302);
    assert.equal(ok.location, "/confirm");
    const landing = await c.get("/confirm");
    assert.match(landing.body, /Thank you\. Confirmation instructions have been sent to form@x\.test\./);

    const withNext = app.client();
    const p2 = await withNext.get("/register?next=%2Fsessions");
    assert.match(p2.body, /action="\/register\?next=%2Fsessions"/);
    const r2 = await withNext.post("/register?next=%2Fsessions", {
      form: { email: "next@x.test", password: PASSWORD, password_confirm: PASSWORD, csrf_token: csrfFrom(p2.body) },
    });
    assert.equal(r2.location, "/sessions");
    const mail = await mailTo(app, "form@x.test", "Welcome");
    assert.match(mail.html, /href="https:\/\/app\.test\/confirm\//);
    const follow = await c.get(linkPath(mail));
    assert.equal(follow.location, "/login");
    assert.match((await c.get("/login")).body, /Your email has been confirmed/);
  });
});
