import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/** /tf-rescue (email code, help mail) and the tf_validity cookie ("remember this device"). */
for (const dialect of flowDialects()) {
  describe(`two-factor rescue (${dialect})`, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, { rescueMail: "helpdesk@x.test" }, true);
      await enrolAuthenticator(t, "lost@x.test");
    });
    after(() => t.app.close());

    it("GET /tf-validate lists recovery options; {help_setup:email} mails a code that completes the sign-in", async () => {
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "lost@x.test", "ready");
      const csrf = l.json.response.csrf_token as string;
      const g = await c.get("/tf-validate", { acceptJson: true });
      assert.equal(g.status, 200);
      assert.deepEqual(Object.keys(g.json.response.recovery_options).sort(), ["email", "help"]);
      const r = await c.post("/tf-rescue", { json: { help_setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      const mail = await t.app.sink.waitFor((m) => m.envelopeTo.includes("lost@x.test"));
      assert.match(mail.text, /This code will expire in 5 minutes/);
      const code = /(\d{6})/.exec(mail.text)![1]!;
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      const ok = await validate(c, csrf, code);
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("{help_setup:help} mails the rescue address naming the user; unknown choice → 400", async () => {
      const c = t.app.client();
      const l = await loginPending(c, "lost@x.test", "ready");
      const csrf = l.json.response.csrf_token as string;
      const bad = await c.post("/tf-rescue", {
        json: { help_setup: "recovery_code" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(bad.status, 400);
      const r = await c.post("/tf-rescue", { json: { help_setup: "help" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      const mail = await t.app.sink.waitFor((m) => m.envelopeTo.includes("helpdesk@x.test"));
      assert.equal(mail.subject, "Two-Factor Rescue");
      assert.match(mail.text, /lost@x\.test/);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("/tf-rescue without a pending login → JSON 400 TWO_FACTOR_PERMISSION_DENIED, HTML 302 to /login", async () => {
      const c = t.app.client();
      const csrf = await c.csrf();
      const r = await c.post("/tf-rescue", { json: { help_setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      const h = await c.post("/tf-rescue", { form: { help_setup: "email", csrf_token: csrf } });
      assert.equal(h.status, 302);
      assert.match(h.location ?? "", /\/login$/);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`two-factor validity cookie (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    before(async () => {
      t = await createTfApp(dialect, { alwaysValidate: false });
      for (const email of ["alice@x.test", "bob@x.test"]) secrets.set(email, await enrolAuthenticator(t, email));
    });
    after(() => t.app.close());

    it("remember + ALWAYS_VALIDATE off → tf_validity; next login needs no code; another user still does; a uniquifier change ends it", async () => {
      toStepStart(t);
      const c = t.app.client();
      const first = await c.login("alice@x.test", PASSWORD, { remember: true });
      assert.equal(first.json.response.tf_state, "ready");
      const ok = await validate(c, first.json.response.csrf_token, oath(t, secrets.get("alice@x.test")!));
      assert.equal(ok.status, 200, ok.body);
      const cookie = ok.setCookies.find((s) => s.startsWith("__Host-tf_validity="));
      assert.ok(cookie, "tf_validity set");
      assert.match(cookie!, /HttpOnly/i);
      assert.match(cookie!, /SameSite=Strict/i);
      assert.match(cookie!, /Max-Age=2592000/i);
      const validity = `__Host-tf_validity=${c.jar.get("__Host-tf_validity")}`;

      const again = t.app.client();
      const csrf = await again.csrf();
      const r = await again.post("/login", {
        json: { email: "alice@x.test", password: PASSWORD },
        headers: { "x-csrf-token": csrf, cookie: `${again.cookieHeader()}; ${validity}` },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, false);
      assert.equal(r.json.response.user.email, "alice@x.test");

      const bob = t.app.client();
      const bcsrf = await bob.csrf();
      const b = await bob.post("/login", {
        json: { email: "bob@x.test", password: PASSWORD },
        headers: { "x-csrf-token": bcsrf, cookie: `${bob.cookieHeader()}; ${validity}` },
      });
      assert.equal(b.json.response.tf_required, true);

      const alice = await t.app.rampart.datastore.users.findByEmail("alice@x.test");
      await t.app.rampart.datastore.users.rotateUniquifier(alice!.id);
      const later = t.app.client();
      const lcsrf = await later.csrf();
      const l = await later.post("/login", {
        json: { email: "alice@x.test", password: PASSWORD },
        headers: { "x-csrf-token": lcsrf, cookie: `${later.cookieHeader()}; ${validity}` },
      });
      assert.equal(l.json.response.tf_required, true);
    });
  });
}
