import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { usernameFeature } from "./index.js";

const PASSWORD = "correct horse battery";

async function signedIn(
  app: TestApp,
  email: string,
): Promise<{ c: TestClient; post: (json: unknown) => ReturnType<TestClient["post"]> }> {
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  const csrf = login.json.response.csrf_token as string;
  return { c, post: (json) => c.post("/change-username", { json, headers: { "x-csrf-token": csrf } }) };
}

async function loginByUsername(app: TestApp, username: string): Promise<number> {
  const c = app.client();
  const csrf = await c.csrf();
  return (await c.post("/login", { json: { username, password: PASSWORD }, headers: { "x-csrf-token": csrf } })).status;
}

for (const dialect of flowDialects()) {
  describe(`change and recover username (${dialect})`, () => {
    let app: TestApp;
    const changed: { username: string | null; oldUsername: string | null }[] = [];
    const recovered: string[] = [];
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: { username: { enable: true }, usernameFeatures: { changeUsername: true, recovery: true } },
        features: [usernameFeature],
      });
      app.rampart.events.on(
        "username_changed",
        ({ user, oldUsername }) => void changed.push({ username: user.username, oldUsername }),
      );
      app.rampart.events.on("username_recovery_email_sent", ({ user }) => void recovered.push(user.email));
      await app.rampart.api.createUser({ email: "matt@lp.com", username: "matt", password: PASSWORD });
      await app.rampart.api.createUser({ email: "joe@lp.com", username: "Joe1", password: PASSWORD });
      for (let i = 0; i < 10; i++) await app.rampart.api.createUser({ email: `racer${i}@lp.com`, password: PASSWORD });
    });
    after(() => app.close());

    it("GET shows current_username; a short name is refused; a new one works for login (old one no longer), with a notice mail", async () => {
      const { c, post } = await signedIn(app, "matt@lp.com");
      const page = await c.get("/change-username", { acceptJson: true });
      assert.equal(page.status, 200);
      assert.equal(page.json.response.current_username, "matt");
      assert.deepEqual(page.json.response.user, { email: "matt@lp.com", username: "matt" });

      const short = await post({ username: "my" });
      assert.equal(short.status, 400);
      assert.deepEqual(short.json.response.field_errors.username, [
        "Username must be at least 4 characters and less than 32 characters",
      ]);
      assert.deepEqual(short.json.response.error_codes, ["USERNAME_INVALID_LENGTH"]);
      assert.equal(short.json.response.current_username, "matt");

      const r = await post({ username: "MeMyNewUsername" });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "user"]);
      assert.equal(r.json.response.user.username, "MeMyNewUsername");
      assert.deepEqual(changed.at(-1), { username: "MeMyNewUsername", oldUsername: "matt" });
      const notice = await app.sink.waitFor(
        (m) => m.envelopeTo.includes("matt@lp.com") && m.subject === "Your username has been changed",
      );
      assert.match(notice.text, /Your username is now: MeMyNewUsername/);

      assert.equal(await loginByUsername(app, "matt"), 400);
      assert.equal(await loginByUsername(app, "memynewusername"), 200);
      assert.equal(
        (await c.get("/change-username", { acceptJson: true })).json.response.current_username,
        "MeMyNewUsername",
      );
      const audit = await app.rampart.api.auditEvents({ event: "username_changed" });
      assert.equal(audit[0]!.details?.old_username, "matt");
    });

    it("a username taken by anyone (any case) is refused with USERNAME_ALREADY_ASSOCIATED", async () => {
      const { post } = await signedIn(app, "matt@lp.com");
      for (const username of ["joe1", "JOE1", "MeMyNewUsername"]) {
        const r = await post({ username });
        assert.equal(r.status, 400, username);
        assert.deepEqual(r.json.response.field_errors.username, [`${username} is already associated with an account.`]);
      }
      assert.equal((await app.rampart.api.findUser("joe@lp.com"))!.username, "Joe1");
    });

    it("10 users claiming one free username at once: exactly one gets it", async () => {
      const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => signedIn(app, `racer${i}@lp.com`)));
      const before = changed.length;
      const replies = await Promise.all(clients.map(({ post }) => post({ username: "Highlander" })));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.status).join(","));
      for (const r of replies.filter((x) => x.status !== 200)) {
        assert.equal(r.status, 400);
        assert.deepEqual(r.json.response.error_codes, ["USERNAME_ALREADY_ASSOCIATED"]);
      }
      assert.equal(changed.length - before, 1);
    });

    it("POST /recover-username mails the username to the account's address", async () => {
      const c = app.client();
      const page = await c.get("/recover-username", { acceptJson: true });
      assert.equal(page.status, 200);
      assert.deepEqual(Object.keys(page.json.response), ["csrf_token"]);
      const r = await c.post("/recover-username", {
        json: { email: "JOE@lp.com" },
        headers: { "x-csrf-token": page.json.response.csrf_token },
      });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response), ["csrf_token"]);
      const mail = await app.sink.waitFor(
        (m) => m.envelopeTo.includes("joe@lp.com") && m.subject === "Your requested username",
      );
      assert.match(mail.text, /Your username is: Joe1/);
      for (let i = 0; i < 100 && !recovered.includes("joe@lp.com"); i++) await sleep(20);
      assert.ok(recovered.includes("joe@lp.com"), "username_recovery_email_sent emitted");
    });
  });
}
