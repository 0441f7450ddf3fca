import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { landingForm } from "../../../test/helpers/links.js";
import {
  createUsApp,
  PASSWORD,
  post,
  requestEmailCode,
  setupEmail,
  signedIn,
  signedInAs,
  usMail,
  type UsApp,
} from "./testing/kit.js";

/** Unified sign-in by password or emailed code, and the magic link, on every database. */
for (const dialect of flowDialects()) {
  describe(`unified sign-in (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      // Many codes go to the same addresses here: both send limits raised (the per-user one and RATE_LIMIT_SENDS_*).
      // Parallel replays of one code are wrong codes for the account: a threshold above them keeps later tests free.
      t = await createUsApp(
        dialect,
        { sendLimit: 50 },
        { rateLimit: { sendsPerDestination: 50 }, lockout: { threshold: 100 } },
      );
      const c = await signedIn(t, "code@x.test");
      await setupEmail(t, c, "code@x.test");
      const c2 = await signedIn(t, "link@x.test");
      await setupEmail(t, c2, "link@x.test");
    });
    after(() => t.app.close());

    it("GET /us-signin lists the methods, the code methods and identity attributes", async () => {
      const r = await t.app.client().get("/us-signin", { acceptJson: true });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.response.available_methods, ["password", "email", "authenticator", "sms"]);
      assert.deepEqual(r.json.response.code_methods, ["email", "sms"]);
      assert.deepEqual(r.json.response.identity_attributes, ["email"]);
      assert.equal(typeof r.json.response.csrf_token, "string");
    });

    it("send-code mails a code and a magic link; the code signs in once (with a token when asked)", async () => {
      const c = t.app.client();
      const sent = await post(c, "/us-signin/send-code", { identity: "code@x.test", chosen_method: "email" });
      assert.equal(sent.status, 200, sent.body);
      assert.equal(sent.json.response.user, undefined);
      assert.equal(typeof sent.json.response.csrf_token, "string");
      const { code, link, text } = await usMail(t, "code@x.test");
      assert.ok(link, "magic link in the mail");
      assert.match(text, /This code\/link will expire in 2 minutes/);
      const wrong = await post(c, "/us-signin", {
        identity: "code@x.test",
        passcode: code === "000000" ? "111111" : "000000",
      });
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json.response.errors, ["Password or code submitted is not valid"]);
      const ok = await post(c, "/us-signin?include_auth_token", { identity: "code@x.test", passcode: code });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.tf_required, false);
      const token = ok.json.response.user.authentication_token ?? ok.json.response.authentication_token;
      assert.equal(typeof token, "string");
      assert.ok(await signedInAs(c));
      const again = await post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: code });
      assert.equal(again.status, 400, "a code works once");
    });

    it("the password is a passcode too; unknown identity and missing fields are 400s in the contract's shape", async () => {
      const c = t.app.client();
      assert.equal((await post(c, "/us-signin", { identity: "code@x.test", passcode: PASSWORD })).status, 200);
      const unknown = await post(t.app.client(), "/us-signin", { identity: "nobody@x.test", passcode: "123456" });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.json.response.field_errors.identity, ["You must specify a valid identity to sign in"]);
      const empty = await post(t.app.client(), "/us-signin", {});
      assert.equal(empty.status, 400);
      assert.deepEqual(empty.json.response.field_errors.identity, ["You must specify a valid identity to sign in"]);
      const bad = await post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: { $ne: "" } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.response.errors, ["Input not appropriate for requested API"]);
    });

    it("an unknown identity is US_SPECIFY_IDENTITY on `identity` (as FS) for sign-in and send-code, JSON and form", async () => {
      for (const identity of ["nobody@x.test", "No.Body-1+tag@Sub.X.test", "x".repeat(64) + "@x.test"]) {
        const signin = await post(t.app.client(), "/us-signin", { identity, passcode: "123456" });
        assert.equal(signin.status, 400, signin.body);
        assert.deepEqual(signin.json.response.field_errors, {
          identity: ["You must specify a valid identity to sign in"],
        });
        const send = await post(t.app.client(), "/us-signin/send-code", { identity, chosen_method: "email" });
        assert.equal(send.status, 400, send.body);
        assert.deepEqual(send.json.response.field_errors, {
          identity: ["You must specify a valid identity to sign in"],
        });
      }
      const c = t.app.client();
      const csrf = await c.csrf();
      const form = await c.post("/us-signin", {
        form: { identity: "nobody@x.test", passcode: "123456", csrf_token: csrf },
      });
      assert.equal(form.status, 200);
      assert.match(form.body, /You must specify a valid identity to sign in/);
      assert.doesNotMatch(form.body, /Specified user does not exist/);
      const formSend = await c.post("/us-signin/send-code", {
        form: { identity: "nobody@x.test", chosen_method: "email", csrf_token: csrf },
      });
      assert.match(formSend.body, /You must specify a valid identity to sign in/);
    });

    it("only the newest sent code works; a new send makes a new code", async () => {
      const first = await requestEmailCode(t, "code@x.test");
      const second = await requestEmailCode(t, "code@x.test");
      assert.notEqual(first.code, second.code);
      assert.equal(
        (await post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: first.code })).status,
        400,
      );
      assert.equal(
        (await post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: second.code })).status,
        200,
      );
    });

    it("a code expires after its validity (two periods at most)", async () => {
      const { code } = await requestEmailCode(t, "code@x.test");
      t.advance(241);
      assert.equal((await post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: code })).status, 400);
    });

    it("the magic link signs in; its button clicked in 20 browsers at once makes one session", async () => {
      const { link } = await requestEmailCode(t, "link@x.test");
      const path = new URL(link!).pathname + new URL(link!).search;
      const clients = Array.from({ length: 20 }, () => t.app.client());
      const pages = await Promise.all(clients.map((c) => c.get(path)));
      const replies = await Promise.all(
        clients.map((c, i) => {
          const { action, fields } = landingForm(pages[i]!);
          return c.post(action, { form: fields });
        }),
      );
      const wins = replies.filter((r) => r.status === 302 && r.location === "/");
      assert.equal(wins.length, 1, replies.map((r) => `${r.status} ${r.location}`).join(","));
      assert.ok(
        replies.every((r) => r.status === 302),
        "every click is a redirect",
      );
      const winner = clients[replies.indexOf(wins[0]!)]!;
      assert.ok(await signedInAs(winner));
      const losers = clients.filter((c) => c !== winner);
      assert.equal((await Promise.all(losers.map(signedInAs))).filter(Boolean).length, 0);
    });

    it("20 parallel submissions of one code: exactly one sign-in", async () => {
      const { code } = await requestEmailCode(t, "code@x.test");
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          post(t.app.client(), "/us-signin", { identity: "code@x.test", passcode: code }),
        ),
      );
      assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.status).join(","));
    });
  });
}
