import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/** A copy of a client's cookies as they are now (an attacker who kept an older cookie of the same attempt). */
function cloneCookies(t: TfApp, from: TestClient): TestClient {
  const copy = t.app.client();
  for (const [name, value] of from.jar) copy.jar.set(name, value);
  return copy;
}

function refused(r: { status: number; json: any }): void {
  assert.equal(r.status, 400, JSON.stringify(r.json));
  assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
}

/** One pending sign-in is one attempt: completed once, bounded in time from its start, never over a newer method. */
for (const dialect of flowDialects()) {
  describe(`pending sign-in attempts (${dialect})`, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, { required: true, rescueMail: "helpdesk@x.test" }, true);
    });
    after(() => t.app.close());

    it("a login set-up begun before the user set up a method cannot replace that method later", async () => {
      await t.app.rampart.api.createUser({
        email: "Victim.Name+tf@Sub.Example.test",
        password: "correct horse battery",
      });
      // Someone who knows the password starts a set-up with their own authenticator and keeps the attempt.
      const attacker = t.app.client();
      const l = await loginPending(attacker, "victim.name+tf@sub.example.test", "setup_from_login");
      const csrf = l.json.response.csrf_token as string;
      const s = await attacker.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(s.status, 200, s.body);
      const theirs = s.json.response.tf_authr_key as string;
      // The owner sets up their own authenticator meanwhile (through their own login).
      const owner = t.app.client();
      const ol = await loginPending(owner, "victim.name+tf@sub.example.test", "setup_from_login");
      const os = await owner.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": ol.json.response.csrf_token },
      });
      const mine = os.json.response.tf_authr_key as string;
      assert.equal((await validate(owner, ol.json.response.csrf_token, oath(t, mine))).status, 200);
      // The older attempt is over: its set-up neither continues nor completes.
      toStepStart(t);
      refused(
        await attacker.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } }),
      );
      refused(await validate(attacker, csrf, oath(t, theirs)));
      assert.equal((await attacker.get("/api/protected", { acceptJson: true })).status, 401);
      // The owner's method is still theirs.
      const next = t.app.client();
      const nl = await loginPending(next, "victim.name+tf@sub.example.test", "ready");
      assert.equal((await validate(next, nl.json.response.csrf_token, oath(t, mine, 30))).status, 200);
    });

    it("logout ends a pending sign-in: its cookie goes, and a kept copy of it cannot complete it", async () => {
      const secret = await enrolAuthenticator(t, "Shared-Desk.User+tf@Office.Example.test");
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "shared-desk.user+tf@office.example.test", "ready");
      const csrf = l.json.response.csrf_token as string;
      const kept = cloneCookies(t, c);
      const pendingCookie = () => [...c.jar.keys()].some((name) => name.endsWith("rampart_tf"));
      assert.ok(pendingCookie(), "the pending sign-in is in the browser");
      const out = await c.post("/logout", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(out.status, 200, out.body);
      assert.ok(!pendingCookie(), "logout clears the pending sign-in");
      refused(await validate(c, csrf, oath(t, secret)));
      refused(await validate(kept, csrf, oath(t, secret)));
      assert.equal((await kept.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("re-signing the attempt at each step does not extend it past pendingWithinSeconds from its start", async () => {
      await t.app.rampart.api.createUser({ email: "slow-steps@x.test", password: "correct horse battery" });
      const c = t.app.client();
      const l = await loginPending(c, "slow-steps@x.test", "setup_from_login");
      const csrf = l.json.response.csrf_token as string;
      t.advance(400);
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      t.advance(300); // 700 s since the password, 300 s since the last step: past the 600 s the attempt may last
      refused(await validate(c, csrf, oath(t, s.json.response.tf_authr_key as string)));
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("two cookies of one attempt (before and after a rescue mail) complete it once", async () => {
      const secret = await enrolAuthenticator(t, "two-cookies@x.test");
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "two-cookies@x.test", "ready");
      const csrf = l.json.response.csrf_token as string;
      const before = cloneCookies(t, c); // the cookie waiting for the authenticator
      const r = await c.post("/tf-rescue", { json: { help_setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      const mail = await t.app.sink.waitFor((m) => m.envelopeTo.includes("two-cookies@x.test"));
      const code = /(\d{6})/.exec(mail.text)![1]!;
      assert.equal((await validate(c, csrf, code)).status, 200);
      // The older cookie of the same attempt, with a correct authenticator code: no second session.
      refused(await validate(before, csrf, oath(t, secret, 30)));
      assert.equal((await before.get("/api/protected", { acceptJson: true })).status, 401);
    });
  });
}
