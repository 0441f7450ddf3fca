import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import type { RampartConfigInput } from "../../core/config/index.js";
import { changeEmailFeature } from "./index.js";

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

async function appWith(config: RampartConfigInput = {}): Promise<TestApp> {
  const app = await createTestApp({
    mail: true,
    config: { ...config, changeEmail: { enable: true, ...(config.changeEmail as object) } },
    features: [changeEmailFeature],
  });
  apps.push(app);
  await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  await app.rampart.api.createUser({ email: "bob@x.test", password: PASSWORD });
  return app;
}

async function signedIn(
  app: TestApp,
  email = "alice@x.test",
): Promise<{ c: TestClient; post: (body: unknown) => ReturnType<TestClient["post"]> }> {
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  const csrf = login.json.response.csrf_token as string;
  return { c, post: (json) => c.post("/change-email", { json, headers: { "x-csrf-token": csrf } }) };
}

const csrfFrom = (html: string) => html.match(/name="csrf_token" value="([^"]+)"/)![1]!;

describe("change email: refusals", () => {
  let app: TestApp;
  before(async () => {
    app = await appWith({ returnGenericResponses: false });
  });

  it("bad input answers 400 in the contract's shape, with current_email, and sends nothing", async () => {
    const { post } = await signedIn(app);
    const cases: [unknown, string][] = [
      [{}, "EMAIL_NOT_PROVIDED"],
      [{ email: "" }, "EMAIL_NOT_PROVIDED"],
      [{ email: "dude" }, "INVALID_EMAIL_ADDRESS"],
      [{ email: "<EMAIL>" }, "INVALID_EMAIL_ADDRESS"],
      [{ email: '"e@evil.example"@victim.example' }, "INVALID_EMAIL_ADDRESS"],
      [{ email: "victim@x.test\r\nBcc: e@evil.example" }, "INVALID_EMAIL_ADDRESS"],
      [{ email: "victim@x.test, e@evil.example" }, "INVALID_EMAIL_ADDRESS"],
      [{ email: "victim\uFF20evil.example" }, "INVALID_EMAIL_ADDRESS"],
      [{ email: "victim@v\u0456ctim.example" }, "INVALID_EMAIL_ADDRESS"],
    ];
    for (const [body, code] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json.response.error_codes, [code], JSON.stringify(body));
      assert.equal(r.json.response.field_errors.email.length, 1);
      assert.equal(r.json.response.current_email, "alice@x.test");
      assert.equal(r.json.response.csrf_token, undefined);
    }
    for (const body of [{ email: { not: "a string" } }, { email: ["a@x.test", "b@x.test"] }, { email: 42 }]) {
      const r = await post(body);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["API_ERROR"]);
    }
    await settled(app);
    assert.equal(app.sink.messages.length, 0);
  });

  it("a taken address (someone else's or the caller's own) → EMAIL_ALREADY_ASSOCIATED when generic responses are off", async () => {
    const { post } = await signedIn(app);
    for (const email of ["BOB@x.test", "alice@x.test"]) {
      const r = await post({ email });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["EMAIL_ALREADY_ASSOCIATED"]);
      assert.match(r.json.response.field_errors.email[0], /is already associated with an account\.$/);
    }
    await settled(app);
    assert.equal(app.sink.messages.length, 0);
  });

  it("anonymous → 401; a stale session → 401 reauth_required (HTML: to /verify); no CSRF token → 400", async () => {
    const anon = await app.client().get("/change-email", { acceptJson: true });
    assert.equal(anon.status, 401);
    assert.deepEqual(anon.json.response.errors, ["You must sign in to view this resource."]);
    assert.equal((await app.client().get("/change-email")).location, "/login?next=%2Fchange-email");

    const { c } = await signedIn(app);
    const noCsrf = await c.post("/change-email", { json: { email: "new@x.test" } });
    assert.equal(noCsrf.status, 400);
    assert.deepEqual(noCsrf.json.response.error_codes, ["CSRF_MISSING"]);

    const stale = await createTestApp({
      mail: true,
      config: { changeEmail: { enable: true }, freshness: { withinSeconds: 60, gracePeriodSeconds: 0 } },
      features: [changeEmailFeature],
    });
    apps.push(stale);
    await stale.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const s = stale.client();
    const login = await s.login("alice@x.test", PASSWORD);
    assert.equal((await s.get("/change-email", { acceptJson: true })).status, 200);
    stale.advance(61);
    for (const method of ["GET", "POST"] as const) {
      const body = method === "POST" ? { json: { email: "new@x.test" } } : { acceptJson: true };
      const r = await s.request(method, "/change-email", {
        ...body,
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(r.status, 401, method);
      assert.equal(r.json.response.reauth_required, true);
      assert.deepEqual(r.json.response.error_codes, ["REAUTHENTICATION_REQUIRED"]);
    }
    assert.equal((await s.get("/change-email")).location, "/verify?next=%2Fchange-email");
    await settled(stale);
    assert.equal(stale.sink.messages.length, 0);
  });

  it("an expired link is refused with CHANGE_EMAIL_EXPIRED, shown as a flash on the next page", async () => {
    const { post } = await signedIn(app);
    assert.equal((await post({ email: "later@x.test" })).status, 200);
    const mail = await app.sink.waitFor((m) => m.envelopeTo.includes("later@x.test"));
    const path = new URL(linksIn(mail)[0]!).pathname;
    app.advance(2 * 60 * 60 + 1);
    const c = app.client();
    const r = await c.get(path);
    assert.equal(r.status, 302);
    assert.equal(r.location, "/change-email");
    const bounced = await c.get(r.location!);
    assert.equal(bounced.location, "/login?next=%2Fchange-email");
    const login = await c.get(bounced.location!);
    assert.match(login.body, /Confirmation must be completed within 2 hours\. Please start over\./);
    assert.equal(await app.rampart.api.findUser("later@x.test"), null);
  });

  it("is off unless CHANGE_EMAIL is set", async () => {
    const off = await createTestApp({ features: [changeEmailFeature] });
    apps.push(off);
    assert.equal((await off.client().get("/change-email", { acceptJson: true })).status, 404);
  });
});

describe("change email: generic responses (default)", () => {
  it("a taken address answers exactly like a free one and mails nobody", async () => {
    const app = await appWith();
    const { post } = await signedIn(app);
    const free = await post({ email: "free@x.test" });
    await app.sink.waitFor((m) => m.envelopeTo.includes("free@x.test"));
    await app.sink.waitFor((m) => m.envelopeTo.includes("alice@x.test"));
    app.sink.clear();
    const taken = await post({ email: "bob@x.test" });
    assert.equal(taken.status, free.status);
    assert.deepEqual(Object.keys(taken.json.response).sort(), Object.keys(free.json.response).sort());
    assert.deepEqual(taken.json.response.user, free.json.response.user);
    assert.equal(taken.json.response.current_email, "alice@x.test");
    await settled(app);
    assert.deepEqual(
      app.sink.messages.map((m) => m.envelopeTo),
      [],
      "no mail to the owner nor to the caller",
    );
  });
});

describe("change email: SPA redirects, pages and mail failure", () => {
  it("SPA mode redirects to the configured views with email, identity and the message", async () => {
    const app = await appWith({
      urls: { redirectBehavior: "spa", redirectHost: "ui.test:8080" },
      changeEmail: { postChangeEmailView: "/ce-done", changeEmailErrorView: "/ce-error" },
    });
    const { post } = await signedIn(app);
    assert.equal((await post({ email: "spa@x.test" })).status, 200);
    const path = new URL(linksIn(await app.sink.waitFor((m) => m.envelopeTo.includes("spa@x.test")))[0]!).pathname;
    const ok = new URL((await app.client().get(path)).location!);
    assert.equal(ok.host, "ui.test:8080");
    assert.equal(ok.pathname, "/ce-done");
    assert.equal(ok.searchParams.get("email"), "spa@x.test");
    assert.equal(ok.searchParams.get("identity"), "spa@x.test");
    assert.equal(ok.searchParams.get("success"), "Change of email address confirmed");
    const bad = new URL((await app.client().get(path)).location!);
    assert.equal(bad.pathname, "/ce-error");
    assert.equal(bad.searchParams.get("error"), "Input not appropriate for requested API");
    assert.equal(bad.searchParams.get("email"), null);
  });

  it("browser pages: the form, the sent flash, an escaped error re-render, and the confirmed flash", async () => {
    const app = await appWith({ changeEmail: { postChangeEmailView: "/change-email" } });
    const c = app.client();
    const loginPage = await c.get("/login");
    await c.post("/login", {
      form: { email: "alice@x.test", password: PASSWORD, csrf_token: csrfFrom(loginPage.body) },
    });
    const page = await c.get("/change-email");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    assert.match(page.body, /<form method="post" action="\/change-email" id="change-email-form">/);
    assert.match(page.body, /id="current-email">alice@x\.test</);
    const evil = `"><script>alert(1)</script>`;
    const bad = await c.post("/change-email", { form: { email: evil, csrf_token: csrfFrom(page.body) } });
    assert.equal(bad.status, 200);
    assert.ok(!bad.body.includes("<script>alert(1)</script>"));
    assert.match(bad.body, /Invalid email address/);
    const sent = await c.post("/change-email", { form: { email: "form@x.test", csrf_token: csrfFrom(page.body) } });
    assert.equal(sent.status, 200);
    assert.match(sent.body, /Instructions to confirm your new email address have been sent to form@x\.test\./);
    const mail = await app.sink.waitFor((m) => m.envelopeTo.includes("form@x.test"));
    assert.match(mail.html, /<a href="https:\/\/app\.test\/change-email\/[^"]+">this link<\/a>/);
    const click = await c.get(new URL(linksIn(mail)[0]!).pathname);
    assert.equal(click.location, "/change-email");
    assert.match(
      (await c.get("/change-email")).body,
      /Change of email address confirmed[\s\S]*id="current-email">form@x\.test</,
    );
  });

  it("a refused delivery still answers 200 (state is only the link) and is audited; a retry works", async () => {
    const app = await appWith({ returnGenericResponses: false, changeEmail: { notifyOld: false } });
    const { post } = await signedIn(app);
    app.sink.failNext(1);
    assert.equal((await post({ email: "bounce@x.test" })).status, 200);
    const failed = await app.rampart.api.auditEvents({ event: "mail_failed" });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.identity, "bounce@x.test");
    assert.equal((await post({ email: "bounce@x.test" })).status, 200);
    await app.sink.waitFor((m) => m.envelopeTo.includes("bounce@x.test"));
    assert.equal(app.sink.messages.length, 1, "notifyOld off: no notice");
  });
});
