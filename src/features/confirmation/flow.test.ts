import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { PASSWORD, flowApp, linkPath, mailTo, register, registration } from "../registration/testing/support.js";

/** The whole flow on every database: register → welcome mail → follow the link → confirmed → login works. */
for (const dialect of flowDialects()) {
  describe(`registration and confirmation flow (${dialect})`, () => {
    let app: TestApp;
    const confirmed: string[] = [];
    before(async () => {
      app = await flowApp({ dialect, config: { returnGenericResponses: false } });
      app.rampart.events.on("user_confirmed", ({ user }) => void confirmed.push(user.email));
    });
    after(() => app.close());

    it("register → mail → link → confirmed (not signed in) → login works; the link then says already confirmed", async () => {
      const c = app.client();
      const r = await register(c, registration("Dana@Example.COM"), "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "user"]);
      assert.deepEqual(r.json.response.user, { email: "Dana@example.com" });
      assert.equal(
        (await c.get("/api/protected", { acceptJson: true })).status,
        401,
        "pending confirmation: not signed in",
      );

      const mail = await mailTo(app, "Dana@example.com", "Welcome");
      assert.match(mail.text, /This link will expire in 2 days\./);
      const path = linkPath(mail);
      assert.match(path, /^\/confirm\/[\w-]+\.[\w-]+$/);
      assert.ok(linksIn(mail)[0]!.startsWith("https://app.test/confirm/"));

      const early = await app.client().login("dana@example.com", PASSWORD);
      assert.equal(early.status, 400);
      assert.deepEqual(early.json.response.errors, ["Email requires confirmation."]);

      const visitor = app.client();
      const follow = await visitor.get(path);
      assert.equal(follow.status, 302);
      assert.equal(follow.location, "/login");
      const page = await visitor.get("/login");
      assert.match(page.body, /Thank you\. Your email has been confirmed\./);
      assert.equal(
        (await visitor.get("/api/protected", { acceptJson: true })).status,
        401,
        "confirming does not sign in",
      );
      assert.deepEqual(confirmed, ["Dana@example.com"]);
      assert.ok((await app.rampart.api.findUser("dana@example.com"))!.confirmedAt instanceof Date);

      const login = await app.client().login("DANA@example.com", PASSWORD);
      assert.equal(login.status, 200, login.body);

      const again = await visitor.get(path);
      assert.equal(again.status, 302);
      assert.match((await visitor.get("/login")).body, /Your email has already been confirmed\./);
      assert.deepEqual(confirmed, ["Dana@example.com"], "no second user_confirmed");
    });

    it("one link opened 20 times at once confirms once (one user_confirmed event)", async () => {
      await register(app.client(), registration("race@example.com"));
      const path = linkPath(await mailTo(app, "race@example.com", "Welcome"));
      const before = confirmed.length;
      const replies = await Promise.all(Array.from({ length: 20 }, () => app.client().get(path)));
      for (const r of replies) assert.equal(r.status, 302);
      assert.deepEqual(confirmed.slice(before), ["race@example.com"]);
      const audit = await app.rampart.api.auditEvents({ event: "confirm" });
      assert.equal(audit.filter((e) => e.outcome === "success" && e.identity === "race@example.com").length, 1);
    });

    it("20 parallel registrations of one address in case variants create exactly one user", async () => {
      // The per-destination send limit (5 by default) would refuse most of these 20: raised, so the race is tested.
      const generic = await flowApp({
        dialect,
        confirmation: false,
        mail: false,
        config: { rateLimit: { sendsPerDestination: 100 } },
      });
      try {
        const variants = ["Zoe@Race.test", "zoe@race.test", "ZOE@RACE.TEST", "zOe@race.TEST"];
        const replies = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            register(generic.client(), registration(variants[i % variants.length]!)),
          ),
        );
        for (const r of replies) assert.equal(r.status, 200, r.body);
        assert.equal(await generic.rampart.datastore.users.count(), 1);
        const signedIn = replies.filter((r) =>
          r.setCookies.some((s) => s.startsWith("__Host-rampart_session=") && !s.includes("Max-Age=0")),
        );
        assert.equal(signedIn.length, 1, "only the winner is signed in");
      } finally {
        await generic.close();
      }
    });
  });
}
