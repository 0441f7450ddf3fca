import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn, type ReceivedMail } from "../../../test/helpers/smtp-sink.js";
import { changeEmailFeature } from "./index.js";

const PASSWORD = "correct horse battery";

/** Signs in through JSON and returns the client plus a CSRF token for its session. */
async function signedIn(app: TestApp, email: string): Promise<{ c: TestClient; csrf: string }> {
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  return { c, csrf: login.json.response.csrf_token as string };
}

function mailTo(app: TestApp, address: string, subject: string): Promise<ReceivedMail> {
  return app.sink.waitFor((m) => m.envelopeTo.includes(address) && m.subject === subject);
}

function linkPath(mail: ReceivedMail): string {
  const link = linksIn(mail).find((l) => l.includes("/change-email/"));
  assert.ok(link, `a change-email link in: ${mail.text}`);
  assert.ok(link!.startsWith("https://app.test/change-email/"), link);
  return new URL(link!).pathname;
}

/** Requests a change of `from`'s address to `to` and returns the confirmation link's path. */
async function requestChange(app: TestApp, from: string, to: string): Promise<string> {
  const { c, csrf } = await signedIn(app, from);
  const r = await c.post("/change-email", { json: { email: to }, headers: { "x-csrf-token": csrf } });
  assert.equal(r.status, 200, r.body);
  return linkPath(await mailTo(app, to, "Confirm your new email address"));
}

for (const dialect of flowDialects()) {
  describe(`change email (${dialect})`, () => {
    let app: TestApp;
    const confirmed: { email: string; oldEmail: string }[] = [];
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: { changeEmail: { enable: true } },
        features: [changeEmailFeature],
      });
      app.rampart.events.on(
        "change_email_confirmed",
        ({ user, oldEmail }) => void confirmed.push({ email: user.email, oldEmail }),
      );
      for (const email of ["alice@x.test", "bob@x.test", "carol@x.test", "dave@x.test"]) {
        await app.rampart.api.createUser({ email, password: PASSWORD });
      }
    });
    after(() => app.close());

    it("request → mail to the new address (+ notice to the old) → link → new email signs in, old does not", async () => {
      const { c, csrf } = await signedIn(app, "alice@x.test");
      const page = await c.get("/change-email", { acceptJson: true });
      assert.equal(page.status, 200);
      assert.equal(page.json.response.current_email, "alice@x.test");
      assert.equal(page.json.response.user.email, "alice@x.test");
      assert.equal(typeof page.json.response.csrf_token, "string");

      const r = await c.post("/change-email", {
        json: { email: "Alice.New@X.TEST" },
        headers: { "x-csrf-token": csrf, "x-forwarded-host": "evil.example" },
      });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "current_email", "user"]);
      assert.equal(r.json.response.current_email, "alice@x.test", "the address changes only after confirmation");
      const mail = await mailTo(app, "Alice.New@x.test", "Confirm your new email address");
      assert.match(mail.text, /This link will expire in 2 hours\./);
      assert.match(mail.text, /Your currently registered email is alice@x\.test\./);
      const notice = await mailTo(app, "alice@x.test", "Your email address change was requested");
      assert.match(notice.text, /Alice\.New@x\.test/);
      assert.ok(!notice.text.includes("/change-email/"), "the notice carries no confirmation link");
      const path = linkPath(mail);

      // Not yet changed: the old address still signs in.
      assert.equal((await app.client().login("alice@x.test", PASSWORD)).status, 200);

      const click = await app.client().get(path);
      assert.equal(click.status, 302);
      assert.equal(click.location, "/");
      assert.deepEqual(confirmed.at(-1), { email: "Alice.New@x.test", oldEmail: "alice@x.test" });
      const user = (await app.rampart.api.findUser("alice.new@x.test"))!;
      assert.equal(user.email, "Alice.New@x.test");
      assert.ok(user.confirmedAt instanceof Date, "confirmed_at set");

      assert.equal((await app.client().login("alice.new@x.test", PASSWORD)).status, 200);
      assert.equal((await app.client().login("alice@x.test", PASSWORD)).status, 400);
      const me = await c.get("/change-email", { acceptJson: true });
      assert.equal(me.status, 200, "the requesting session survives (nothing rotated)");
      assert.equal(me.json.response.current_email, "Alice.New@x.test");

      const audit = await app.rampart.api.auditEvents({ userId: user.id });
      assert.ok(audit.some((e) => e.event === "change_email_requested" && e.outcome === "success"));
      assert.ok(audit.some((e) => e.event === "change_email_confirmed" && e.outcome === "success"));
      assert.ok(!JSON.stringify(audit).includes(path.split("/").pop()!), "no token in the audit trail");

      // The link works once: the address it replaces is gone.
      const again = await c.get(path);
      assert.equal(again.status, 302);
      assert.equal(again.location, "/change-email");
      const shown = await c.get("/change-email");
      assert.match(shown.body, /Input not appropriate for requested API/);
      assert.equal((await app.rampart.api.findUser("alice.new@x.test"))!.email, "Alice.New@x.test");
    });

    it("an address registered by someone else before the click makes the link fail and changes nothing", async () => {
      const path = await requestChange(app, "bob@x.test", "taken-later@x.test");
      await app.rampart.api.createUser({ email: "Taken-Later@x.test", password: PASSWORD });
      const before = confirmed.length;
      const click = await app.client().get(path);
      assert.equal(click.status, 302);
      assert.equal(click.location, "/change-email");
      assert.equal(confirmed.length, before);
      assert.equal((await app.rampart.api.findUser("bob@x.test"))!.email, "bob@x.test");
      assert.equal((await app.rampart.api.findUser("taken-later@x.test"))!.email, "Taken-Later@x.test");
      assert.equal((await app.client().login("bob@x.test", PASSWORD)).status, 200);
    });

    it("20 parallel clicks on one link change the address exactly once", async () => {
      const path = await requestChange(app, "carol@x.test", "carol.new@x.test");
      const before = confirmed.length;
      const replies = await Promise.all(Array.from({ length: 20 }, () => app.client().get(path)));
      const successes = replies.filter((r) => r.location === "/");
      const failures = replies.filter((r) => r.location === "/change-email");
      assert.equal(successes.length, 1, replies.map((r) => `${r.status} ${r.location}`).join(", "));
      assert.equal(failures.length, 19);
      assert.equal(confirmed.length - before, 1, "one change_email_confirmed event");
      const user = (await app.rampart.api.findUser("carol.new@x.test"))!;
      const audit = await app.rampart.api.auditEvents({ userId: user.id, event: "change_email_confirmed" });
      assert.equal(audit.filter((e) => e.outcome === "success").length, 1);
      assert.equal(audit.filter((e) => e.outcome === "failure").length, 19);
    });

    it("a tampered, truncated or garbage link is refused and changes nothing", async () => {
      const path = await requestChange(app, "dave@x.test", "dave.new@x.test");
      const [, , token] = path.split("/");
      const [body, sig] = token!.split(".");
      const payload = JSON.parse(Buffer.from(body!, "base64url").toString()) as { d: string[] };
      payload.d[2] = "attacker@evil.example";
      const forged = `/change-email/${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig}`;
      for (const bad of [forged, "/change-email/garbage", `${path}x`]) {
        const r = await app.client().get(bad);
        assert.equal(r.status, 302, bad);
        assert.equal(r.location, "/change-email", bad);
      }
      assert.equal(await app.rampart.api.findUser("attacker@evil.example"), null);
      assert.equal((await app.rampart.api.findUser("dave@x.test"))!.email, "dave@x.test");
    });
  });
}
