import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestApp } from "../../../test/helpers/app.js";
import { openLink } from "../../../test/helpers/links.js";
import {
  PASSWORD,
  csrfFrom,
  flowApp,
  linkPath,
  mailTo,
  postJson,
  register,
  registration,
} from "../registration/testing/support.js";

/** Waits for all the requests started (work after the answer, the outbox): "no (more) mail" is then exact. */
const settled = async (app: TestApp) => {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
};

describe("POST /confirm (resend) and the link's outcomes, specific errors", () => {
  let app: TestApp;
  const sent: string[] = [];
  before(async () => {
    app = await flowApp({ config: { returnGenericResponses: false } });
    app.rampart.events.on("confirm_instructions_sent", ({ user }) => void sent.push(user.email));
    await app.rampart.api.createUser({ email: "pending@x.test", password: PASSWORD });
    await app.rampart.api.createUser({ email: "done@x.test", password: PASSWORD, confirmed: true });
  });
  after(() => app.close());

  it("sends instructions: 200 with only csrf_token, mail with link and expiry, event", async () => {
    const r = await postJson(app.client(), "/confirm", { email: "PENDING@x.test" });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(Object.keys(r.json.response), ["csrf_token"]);
    const mail = await mailTo(app, "pending@x.test", "Please confirm your email");
    assert.match(mail.text, /This link will expire in 2 days\./);
    assert.match(linkPath(mail), /^\/confirm\//);
    assert.deepEqual(sent, ["pending@x.test"]);
  });

  it("errors: confirmed → ALREADY_CONFIRMED, unknown → USER_DOES_NOT_EXIST, bad address, wrong type", async () => {
    const cases: [unknown, string, string][] = [
      ["done@x.test", "ALREADY_CONFIRMED", "Your email has already been confirmed."],
      ["nobody@x.test", "USER_DOES_NOT_EXIST", "Specified user does not exist"],
      ["dude", "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      ["", "EMAIL_NOT_PROVIDED", "Email not provided"],
    ];
    for (const [email, code, text] of cases) {
      const r = await postJson(app.client(), "/confirm", { email });
      assert.equal(r.status, 400, code);
      assert.deepEqual(r.json.response.field_errors, { email: [text] });
      assert.deepEqual(r.json.response.error_codes, [code]);
    }
    const wrong = await postJson(app.client(), "/confirm", { email: { $gt: "" } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.response.error_codes, ["API_ERROR"]);
  });

  it("the link: bad or tampered → invalid; expired → message and no new mail", async () => {
    const bogus = app.client();
    const r = await bogus.get("/confirm/bogus");
    assert.equal(r.status, 302);
    assert.equal(r.location, "/confirm");
    assert.match((await bogus.get("/confirm")).body, /Invalid confirmation token\./);

    await register(app.client(), registration("late@x.test"));
    const path = linkPath(await mailTo(app, "late@x.test", "Welcome"));
    const tampered = path.slice(0, -3) + (path.endsWith("AAA") ? "BBB" : "AAA");
    const t = app.client();
    await t.get(tampered);
    assert.match((await t.get("/confirm")).body, /Invalid confirmation token\./);

    app.advance(2 * 24 * 3600 + 1);
    try {
      const before = app.sink.messages.length;
      const c = app.client();
      const expired = await c.get(path);
      assert.equal(expired.location, "/confirm");
      assert.match((await c.get("/confirm")).body, /You did not confirm your email within 2 days\./);
      await settled(app);
      assert.equal(app.sink.messages.length, before, "no new mail (FS 5.3+)");
      assert.equal((await app.rampart.api.findUser("late@x.test"))!.confirmedAt, null);
    } finally {
      app.advance(-(2 * 24 * 3600 + 1));
    }
  });

  it("a link dies when the email changes before it is used", async () => {
    await register(app.client(), registration("old@x.test"));
    const path = linkPath(await mailTo(app, "old@x.test", "Welcome"));
    const user = (await app.rampart.api.findUser("old@x.test"))!;
    await app.rampart.datastore.users.update(user.id, { email: "new-address@x.test" });
    const c = app.client();
    await c.get(path);
    assert.match((await c.get("/confirm")).body, /Invalid confirmation token\./);
    assert.equal((await app.rampart.api.findUser("new-address@x.test"))!.confirmedAt, null);
  });

  it("sign-in refuses an unconfirmed user only after the password verified; remember-me obeys it too", async () => {
    const right = await app.client().login("pending@x.test", PASSWORD);
    assert.equal(right.status, 400);
    assert.deepEqual(right.json.response.field_errors, { email: ["Email requires confirmation."] });
    const wrong = await app.client().login("pending@x.test", "not the password");
    assert.deepEqual(wrong.json.response.field_errors, { password: ["Invalid password"] });

    const c = app.client();
    assert.equal((await c.login("done@x.test", PASSWORD, { remember: true })).status, 200);
    const done = (await app.rampart.api.findUser("done@x.test"))!;
    await app.rampart.datastore.users.update(done.id, { confirmedAt: null });
    c.jar.delete("__Host-rampart_session");
    assert.ok(c.jar.has("__Host-remember_token"));
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });

  it("the resend page (HTML) sends and shows a flash", async () => {
    const c = app.client();
    const page = await c.get("/confirm");
    assert.match(page.body, /id="send-confirmation-form"/);
    const r = await c.post("/confirm", { form: { email: "pending@x.test", csrf_token: csrfFrom(page.body) } });
    assert.equal(r.status, 200);
    assert.match(r.body, /Confirmation instructions have been sent to pending@x\.test\./);
    const bad = await c.post("/confirm", { form: { email: "nobody@x.test", csrf_token: csrfFrom(r.body) } });
    assert.match(bad.body, /Specified user does not exist/);
  });
});

describe("confirmation with generic responses (default)", () => {
  let app: TestApp;
  before(async () => {
    app = await flowApp();
    await app.rampart.api.createUser({ email: "pending@x.test", password: PASSWORD });
    await app.rampart.api.createUser({ email: "done@x.test", password: PASSWORD, confirmed: true });
  });
  after(() => app.close());

  it("resend answers 200 {csrf_token} for unknown, confirmed and pending; only the pending one gets mail", async () => {
    for (const email of ["nobody@x.test", "done@x.test", "pending@x.test"]) {
      const r = await postJson(app.client(), "/confirm", { email });
      assert.equal(r.status, 200, email);
      assert.deepEqual(Object.keys(r.json.response), ["csrf_token"]);
    }
    await mailTo(app, "pending@x.test");
    await settled(app);
    assert.deepEqual(
      app.sink.messages.map((m) => m.envelopeTo.join()),
      ["pending@x.test"],
    );
  });

  it("login of an unconfirmed user reads like any other failure", async () => {
    const r = await app.client().login("pending@x.test", PASSWORD);
    assert.deepEqual(r.json.response.error_codes, ["GENERIC_AUTHN_FAILED"]);
  });
});

describe("confirmation options", () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it("SPA mode: success to POST_CONFIRM_VIEW with email/identity; repeat to CONFIRM_ERROR_VIEW with info; errors carry no identity", async () => {
    const app = await flowApp({
      config: {
        urls: { redirectBehavior: "spa", redirectHost: "localhost:8080" },
        confirmation: { postConfirmView: "/confirmed", confirmErrorView: "/confirm-error" },
      },
    });
    apps.push(app);
    await register(app.client(), registration("spa@x.test"));
    const path = linkPath(await mailTo(app, "spa@x.test", "Welcome"));
    const ok = new URL((await app.client().get(path)).location!);
    assert.equal(ok.origin + ok.pathname, "https://localhost:8080/confirmed");
    assert.deepEqual(Object.fromEntries(ok.searchParams), {
      email: "spa@x.test",
      identity: "spa@x.test",
      success: "Thank you. Your email has been confirmed.",
    });
    const again = new URL((await app.client().get(path)).location!);
    assert.equal(again.pathname, "/confirm-error");
    assert.deepEqual(Object.fromEntries(again.searchParams), { info: "Your email has already been confirmed." });
    const bad = new URL((await app.client().get("/confirm/nope")).location!);
    assert.deepEqual(Object.fromEntries(bad.searchParams), { error: "Invalid confirmation token." });

    await register(app.client(), registration("slow@x.test"));
    const late = linkPath(await mailTo(app, "slow@x.test", "Welcome"));
    app.advance(3 * 24 * 3600);
    const expired = (await app.client().get(late)).location!;
    assert.ok(!expired.includes("slow"), expired);
    assert.match(new URL(expired).searchParams.get("error")!, /^You did not confirm your email within 2 days\./);
  });

  it("AUTO_LOGIN_AFTER_CONFIRM signs in through the pipeline (no token on a GET)", async () => {
    const app = await flowApp({ config: { confirmation: { autoLoginAfterConfirm: true } } });
    apps.push(app);
    await register(app.client(), registration("auto@x.test"));
    const path = linkPath(await mailTo(app, "auto@x.test", "Welcome"));
    const c = app.client();
    const page = await c.get(`${path}?include_auth_token`);
    assert.equal(page.status, 200, "the GET only shows the page (a POST signs in)");
    const r = await openLink(c, `${path}?include_auth_token`);
    assert.equal(r.location, "/");
    assert.ok(!r.body.includes("authentication_token"));
    const p = await c.get("/api/protected", { acceptJson: true });
    assert.equal(p.status, 200);
    const audit = await app.rampart.api.auditEvents({ event: "login" });
    assert.deepEqual(audit[0]!.details?.via, ["confirm"]);
  });

  it("LOGIN_WITHOUT_CONFIRMATION: registration signs in, login works, the welcome mail still has the link", async () => {
    const app = await flowApp({ config: { confirmation: { loginWithoutConfirmation: true } } });
    apps.push(app);
    const c = app.client();
    const r = await register(c, registration("eager@x.test"));
    assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "tf_required", "user"]);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    assert.match(linkPath(await mailTo(app, "eager@x.test", "Welcome")), /^\/confirm\//);
    assert.equal((await app.client().login("eager@x.test", PASSWORD)).status, 200);
  });
});
