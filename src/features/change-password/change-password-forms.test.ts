import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { changePasswordFeature } from "./index.js";

/** /change as a browser form, with remember-me, for token-only clients, and its mail settings. */
const OLD = "correct horse battery";
const NEW = "a new passphrase";
const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

async function appWith(config: Record<string, unknown> = {}): Promise<TestApp> {
  const app = await createTestApp({
    mail: true,
    config: { ...config, changePassword: { enabled: true, ...(config.changePassword as object) } },
    features: [changePasswordFeature],
  });
  apps.push(app);
  await app.rampart.api.createUser({ email: "alice@lp.test", password: OLD });
  return app;
}

const csrfIn = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? "";

describe("change password: HTML form", () => {
  it("page → mistakes re-render with 200 → success redirects to POST_LOGIN_VIEW with a flash; anonymous browsers go to sign in", async () => {
    const app = await appWith();
    assert.equal((await app.client().get("/change")).location, "/login?next=%2Fchange");
    const c = app.client();
    await c.login("alice@lp.test", OLD);
    const page = await c.get("/change");
    assert.equal(page.status, 200);
    for (const name of ["password", "new_password", "new_password_confirm"])
      assert.ok(page.body.includes(`name="${name}"`), name);
    const wrong = await c.post("/change", {
      form: { password: "not it at all", new_password: NEW, new_password_confirm: NEW, csrf_token: csrfIn(page.body) },
    });
    assert.equal(wrong.status, 200);
    assert.match(wrong.body, /Invalid password/);
    const ok = await c.post("/change", {
      form: { password: OLD, new_password: NEW, new_password_confirm: NEW, csrf_token: csrfIn(wrong.body) },
    });
    assert.equal(ok.status, 302);
    assert.equal(ok.location, "/");
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    assert.match((await c.get("/change")).body, /You successfully changed your password\./);
  });

  it("the same password again: the message sits under the current password field, as in Flask-Security", async () => {
    const app = await appWith();
    const c = app.client();
    await c.login("alice@lp.test", OLD);
    const page = await c.get("/change");
    const same = await c.post("/change", {
      form: { password: OLD, new_password: OLD, new_password_confirm: OLD, csrf_token: csrfIn(page.body) },
    });
    assert.equal(same.status, 200);
    assert.match(
      same.body,
      /<ul class="errors" id="password-errors"><li>Your new password must be different than your previous password\.<\/li><\/ul>/,
    );
    assert.doesNotMatch(same.body, /id="new_password-errors"/);
  });

  it("POST_CHANGE_VIEW decides where the form goes", async () => {
    const app = await appWith({ changePassword: { postChangeView: "/account" } });
    const c = app.client();
    await c.login("alice@lp.test", OLD);
    const page = await c.get("/change");
    const ok = await c.post("/change", {
      form: { password: OLD, new_password: NEW, new_password_confirm: NEW, csrf_token: csrfIn(page.body) },
    });
    assert.equal(ok.location, "/account");
  });
});

describe("change password: remember-me and token clients", () => {
  it("a remembered caller keeps remember-me under a new cookie; the old remember cookie is dead", async () => {
    const app = await appWith();
    const c = app.client();
    const login = await c.login("alice@lp.test", OLD, { remember: true });
    const oldRemember = c.jar.get("__Host-remember_token")!;
    const r = await c.post("/change", {
      json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": login.json.response.csrf_token },
    });
    assert.equal(r.status, 200);
    assert.notEqual(c.jar.get("__Host-remember_token"), oldRemember);
    c.jar.delete("__Host-rampart_session");
    assert.equal(
      (await c.get("/api/protected", { acceptJson: true })).status,
      200,
      "restored by the new remember cookie",
    );
    const replay = app.client();
    replay.jar.set("__Host-remember_token", oldRemember);
    assert.equal((await replay.get("/api/protected", { acceptJson: true })).status, 401);
  });

  it("a token-only client (CSRF off for tokens) gets a new token; the old one dies", async () => {
    const app = await appWith({ csrf: { protectMechanisms: ["session", "basic"] } });
    const token = (await app.client().login("alice@lp.test", OLD, {}, "?include_auth_token")).json.response.user
      .authentication_token as string;
    const api = app.client();
    const r = await api.post("/change?include_auth_token", {
      json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
      headers: { "authentication-token": token },
    });
    assert.equal(r.status, 200, r.body);
    const fresh = r.json.response.user.authentication_token as string;
    assert.equal(
      (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } }))
        .status,
      401,
    );
    assert.equal(
      (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": fresh } }))
        .status,
      200,
    );
  });
});

describe("change password: accounts without a password", () => {
  it("need a fresh authentication instead of the current password", async () => {
    const app = await appWith({ freshness: { withinSeconds: 60, gracePeriodSeconds: 0 } });
    const c = app.client();
    await c.login("alice@lp.test", OLD);
    const user = (await app.rampart.api.findUser("alice@lp.test"))!;
    await app.rampart.datastore.users.update(user.id, { password: null });
    const page = await c.get("/change", { acceptJson: true });
    assert.equal(page.json.response.active_password, false);
    app.advance(61);
    const stale = await c.post("/change", {
      json: { new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": page.json.response.csrf_token },
    });
    assert.equal(stale.status, 401);
    assert.equal(stale.json.response.reauth_required, true);
    assert.equal((await c.get("/change", { acceptJson: true })).status, 401);
    app.advance(-61);
    const ok = await c.post("/change", {
      json: { new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": page.json.response.csrf_token },
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal((await app.client().login("alice@lp.test", NEW)).status, 200);
  });
});

describe("change password: mail and composition", () => {
  it("without the recovery feature the notice carries no forgot link; with SEND_PASSWORD_CHANGE_EMAIL off none is sent", async () => {
    const app = await appWith();
    const c = app.client();
    const login = await c.login("alice@lp.test", OLD);
    await c.post("/change", {
      json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": login.json.response.csrf_token },
    });
    const mail = await app.sink.waitFor((m) => m.subject === "Your password has been changed");
    assert.deepEqual(linksIn(mail), []);

    const quiet = await appWith({ changePassword: { sendPasswordChangeEmail: false } });
    const qc = quiet.client();
    const l2 = await qc.login("alice@lp.test", OLD);
    const r = await qc.post("/change", {
      json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": l2.json.response.csrf_token },
    });
    assert.equal(r.status, 200);
    // Everything those requests started has finished (work after the answer, the outbox): the count is exact.
    await quiet.runtime.deferred.drain();
    await quiet.runtime.outbox.drain();
    assert.equal(quiet.sink.messages.length, 0);
  });

  it("an SMTP failure does not undo or fail the change", async () => {
    const app = await appWith();
    const c = app.client();
    const login = await c.login("alice@lp.test", OLD);
    app.sink.failNext(1);
    const r = await c.post("/change", {
      json: { password: OLD, new_password: NEW, new_password_confirm: NEW },
      headers: { "x-csrf-token": login.json.response.csrf_token },
    });
    assert.equal(r.status, 200);
    assert.ok(
      (await app.rampart.api.auditEvents({ event: "mail_failed" })).some(
        (e) => e.details?.template === "change_notice",
      ),
    );
    assert.equal((await app.client().login("alice@lp.test", NEW)).status, 200);
  });

  it("is off by default", async () => {
    const app = await createTestApp({ features: [changePasswordFeature] });
    apps.push(app);
    await app.rampart.api.createUser({ email: "alice@lp.test", password: OLD });
    const c = app.client();
    await c.login("alice@lp.test", OLD);
    assert.equal((await c.get("/change", { acceptJson: true })).status, 404);
  });
});
