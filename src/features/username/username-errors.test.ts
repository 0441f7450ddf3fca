import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, TEST_SECRET, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { resolveConfig, type RampartConfigInput } from "../../core/config/index.js";
import { ConfigError } from "../../core/errors.js";
import type { Feature } from "../../core/feature.js";
import { usernameFeature, usernameFeaturesSlice } from "./index.js";

/** Waits for all the requests started (work after the answer, the outbox): "no (more) mail" is then exact. */
const settled = async (app: TestApp) => {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
};

const PASSWORD = "correct horse battery";
const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

/** Stands in for the confirmation feature: users without confirmed_at are "pending". */
const fakeConfirmation: Feature = {
  name: "test-confirmation",
  provides: () => ({
    confirmation: { pending: (u) => u.confirmedAt === null, link: () => ({ url: "", token: "" }), within: "2 days" },
  }),
};

async function appWith(config: RampartConfigInput = {}, features: Feature[] = []): Promise<TestApp> {
  const app = await createTestApp({
    mail: true,
    config: {
      ...config,
      username: { enable: true, ...(config.username as object) },
      usernameFeatures: { changeUsername: true, recovery: true, ...(config.usernameFeatures as object) },
    },
    features: [usernameFeature, ...features],
  });
  apps.push(app);
  await app.rampart.api.createUser({ email: "matt@lp.com", username: "matt", password: PASSWORD, confirmed: true });
  await app.rampart.api.createUser({
    email: "off@lp.com",
    username: "offline",
    password: PASSWORD,
    active: false,
    confirmed: true,
  });
  await app.rampart.api.createUser({ email: "new@lp.com", username: "newbie", password: PASSWORD });
  return app;
}

async function signedIn(
  app: TestApp,
  email = "matt@lp.com",
): Promise<{ c: TestClient; post: (json: unknown) => ReturnType<TestClient["post"]> }> {
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  const csrf = login.json.response.csrf_token as string;
  return { c, post: (json) => c.post("/change-username", { json, headers: { "x-csrf-token": csrf } }) };
}

const csrfFrom = (html: string) => html.match(/name="csrf_token" value="([^"]+)"/)![1]!;

describe("change username: refusals and options", () => {
  it("each rule answers 400 with its code on `username`; wrong types → API_ERROR; nothing changes", async () => {
    const app = await appWith();
    const { post } = await signedIn(app);
    const cases: [unknown, string][] = [
      [{}, "USERNAME_NOT_PROVIDED"],
      [{ username: "<script>" }, "USERNAME_ILLEGAL_CHARACTERS"],
      [{ username: " spaced " }, "USERNAME_ILLEGAL_CHARACTERS"],
      [{ username: "hi there?" }, "USERNAME_DISALLOWED_CHARACTERS"],
      [{ username: "x".repeat(33) }, "USERNAME_INVALID_LENGTH"],
    ];
    for (const [body, code] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json.response.error_codes, [code]);
      assert.equal(r.json.response.field_errors.username.length, 1);
      assert.equal(r.json.response.current_username, "matt");
    }
    for (const body of [{ username: { $ne: null } }, { username: ["a", "b"] }, { username: 1234 }]) {
      assert.deepEqual((await post(body)).json.response.error_codes, ["API_ERROR"]);
    }
    assert.equal((await app.rampart.api.findUser("matt@lp.com"))!.username, "matt");
    await settled(app);
    assert.equal(app.sink.messages.length, 0);
  });

  it("an empty username clears it when usernames are optional, and is refused when they are required", async () => {
    const app = await appWith();
    const { post } = await signedIn(app);
    const r = await post({ username: "" });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.response.user.username, null);
    const notice = await app.sink.waitFor((m) => m.envelopeTo.includes("matt@lp.com"));
    assert.match(notice.text, /no longer has a username/);
    assert.equal((await app.rampart.api.findUser("matt@lp.com"))!.username, null);
    assert.deepEqual(
      (await post({ username: "" })).json.response.error_codes,
      ["USERNAME_NOT_PROVIDED"],
      "nothing to clear",
    );

    const required = await appWith({ username: { required: true } });
    const s = await signedIn(required);
    const refused = await s.post({ username: "" });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json.response.field_errors.username, ["Username not provided"]);
  });

  it("NFKD: a name typed with a compatibility character signs in with either spelling", async () => {
    const app = await appWith();
    const { post } = await signedIn(app);
    assert.equal((await post({ username: "newusername\u2160" })).status, 200);
    for (const typed of ["newusername\u2160", "newusernameI"]) {
      const c = app.client();
      const csrf = await c.csrf();
      assert.equal(
        (await c.post("/login", { json: { username: typed, password: PASSWORD }, headers: { "x-csrf-token": csrf } }))
          .status,
        200,
        typed,
      );
    }
  });

  it("anonymous → 401, stale → 401 reauth_required, no CSRF → 400; SEND_USERNAME_CHANGE_EMAIL=false mails nothing", async () => {
    const app = await appWith({
      freshness: { withinSeconds: 60, gracePeriodSeconds: 0 },
      usernameFeatures: { sendUsernameChangeEmail: false },
    });
    assert.equal((await app.client().get("/change-username", { acceptJson: true })).status, 401);
    const { c, post } = await signedIn(app);
    assert.deepEqual((await c.post("/change-username", { json: { username: "other1" } })).json.response.error_codes, [
      "CSRF_MISSING",
    ]);
    assert.equal((await post({ username: "other1" })).status, 200);
    app.advance(61);
    const stale = await post({ username: "other2" });
    assert.equal(stale.status, 401);
    assert.equal(stale.json.response.reauth_required, true);
    assert.equal((await c.get("/change-username")).location, "/verify?next=%2Fchange-username");
    await settled(app);
    assert.equal(app.sink.messages.length, 0);
  });

  it("browser pages: form, escaped error re-render, success redirect with flash", async () => {
    const app = await appWith({ usernameFeatures: { postChangeUsernameView: "/change-username" } });
    const c = app.client();
    const login = await c.get("/login");
    await c.post("/login", { form: { email: "matt@lp.com", password: PASSWORD, csrf_token: csrfFrom(login.body) } });
    const page = await c.get("/change-username");
    assert.match(page.body, /<form method="post" action="\/change-username" id="change-username-form">/);
    assert.match(page.body, /id="current-username">matt</);
    const bad = await c.post("/change-username", { form: { username: "<b>x</b>", csrf_token: csrfFrom(page.body) } });
    assert.equal(bad.status, 200);
    assert.ok(!bad.body.includes("<b>x</b>"));
    assert.match(bad.body, /Username contains illegal characters/);
    const ok = await c.post("/change-username", { form: { username: "formname", csrf_token: csrfFrom(page.body) } });
    assert.equal(ok.status, 302);
    assert.equal(ok.location, "/change-username");
    assert.match(
      (await c.get("/change-username")).body,
      /You successfully changed your username[\s\S]*id="current-username">formname</,
    );
  });

  it("needs usernames: CHANGE_USERNAME or USERNAME_RECOVERY without USERNAME_ENABLE fails at startup; off by default", async () => {
    assert.throws(
      () =>
        resolveConfig(
          { secretKey: TEST_SECRET, usernameFeatures: { changeUsername: true, recovery: true } },
          [],
          [usernameFeaturesSlice],
        ),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SECURITY_CHANGE_USERNAME/.test(e.message) &&
        /SECURITY_USERNAME_RECOVERY/.test(e.message),
    );
    resolveConfig(
      {
        secretKey: TEST_SECRET,
        username: { enable: true },
        usernameFeatures: { changeUsername: true, recovery: true },
      },
      [],
      [usernameFeaturesSlice],
    );
    const off = await createTestApp({ config: { username: { enable: true } }, features: [usernameFeature] });
    apps.push(off);
    assert.equal((await off.client().get("/change-username", { acceptJson: true })).status, 404);
    assert.equal((await off.client().get("/recover-username", { acceptJson: true })).status, 404);
  });
});

describe("recover username: refusals", () => {
  const recover = async (c: TestClient, email: unknown) => {
    const csrf = await c.csrf();
    return c.post("/recover-username", { json: { email }, headers: { "x-csrf-token": csrf } });
  };

  it("generic responses (default): unknown, disabled and unconfirmed answer like a known address; only the owner gets mail", async () => {
    const app = await appWith({}, [fakeConfirmation]);
    const known = await recover(app.client(), "matt@lp.com");
    await app.sink.waitFor((m) => m.envelopeTo.includes("matt@lp.com"));
    for (const email of ["nobody@lp.com", "off@lp.com", "new@lp.com"]) {
      const r = await recover(app.client(), email);
      assert.equal(r.status, known.status, email);
      assert.deepEqual(Object.keys(r.json.response), Object.keys(known.json.response));
    }
    await settled(app);
    assert.deepEqual(
      app.sink.messages.map((m) => m.envelopeTo.join()),
      ["matt@lp.com"],
    );
    const bad = await recover(app.client(), "not an address");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.response.error_codes, ["INVALID_EMAIL_ADDRESS"]);
  });

  it("generic responses off: USER_DOES_NOT_EXIST, DISABLED_ACCOUNT, CONFIRMATION_REQUIRED on `email`", async () => {
    const app = await appWith({ returnGenericResponses: false }, [fakeConfirmation]);
    const expected: [string, string][] = [
      ["nobody@lp.com", "Specified user does not exist"],
      ["off@lp.com", "Account is disabled."],
      ["new@lp.com", "Email requires confirmation."],
    ];
    for (const [email, text] of expected) {
      const r = await recover(app.client(), email);
      assert.equal(r.status, 400, email);
      assert.deepEqual(r.json.response.field_errors.email, [text]);
    }
    assert.deepEqual((await recover(app.client(), { x: 1 })).json.response.error_codes, ["API_ERROR"]);
    await settled(app);
    assert.equal(app.sink.messages.length, 0);
  });

  it("signed-in callers are refused (anonymous only); the form redirects to login with the FS notice", async () => {
    const app = await appWith();
    const { c } = await signedIn(app);
    const page = await c.get("/recover-username", { acceptJson: true });
    const r = await c.post("/recover-username", {
      json: { email: "matt@lp.com" },
      headers: { "x-csrf-token": page.json.response.csrf_token },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.errors, ["You can only access this endpoint when not logged in."]);

    const b = app.client();
    const form = await b.get("/recover-username");
    assert.match(form.body, /<form method="post" action="\/recover-username" id="recover-username-form">/);
    const sent = await b.post("/recover-username", { form: { email: "matt@lp.com", csrf_token: csrfFrom(form.body) } });
    assert.equal(sent.status, 302);
    assert.equal(sent.location, "/login");
    assert.match((await b.get("/login")).body, /If registered, your username will be sent to your email\./);
    await app.sink.waitFor((m) => m.envelopeTo.includes("matt@lp.com") && /Your username is: matt/.test(m.text));
  });
});
