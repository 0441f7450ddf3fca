import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { changePasswordFeature } from "../../src/features/change-password/index.js";
import { recoveryFeature } from "../../src/features/recovery/index.js";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { linksIn } from "../helpers/smtp-sink.js";

/**
 * Per-account lockout, black-box: one count of consecutive failures per account whatever the spelling of the
 * identity or the endpoint (JSON and form /login, username, HTTP basic, /verify, /change); from the threshold on
 * a guess is not judged (429 + Retry-After, even the right password); at the ceiling the account stays locked
 * until a password reset; an identity that names no account answers byte for byte the same at every count.
 */
const PASSWORD = "correct horse battery";
const features = [recoveryFeature, changePasswordFeature];
const base = {
  username: { enable: true },
  apiEnabledMethods: ["session", "token", "basic"],
  recovery: { enabled: true },
  changePassword: { enabled: true },
};

const json = (c: TestClient, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  c.csrf().then((csrf) => c.post(path, { json: body, headers: { "x-csrf-token": csrf, ...headers } }));
const login = (c: TestClient, identity: Record<string, string>, password: string, ip?: string) =>
  json(c, "/login", { ...identity, password }, ip ? { "x-forwarded-for": ip } : {});
const formLogin = async (c: TestClient, email: string, password: string) => {
  const page = await c.get("/login");
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(csrf, "the login page has a csrf token");
  return c.post("/login", { form: { email, password, csrf_token: csrf! } });
};
const basic = (c: TestClient, identity: string, password: string) =>
  c.get("/api/protected", {
    acceptJson: true,
    headers: { authorization: `Basic ${Buffer.from(`${identity}:${password}`).toString("base64")}` },
  });

function assertLocked(r: Reply, what: string) {
  assert.equal(r.status, 429, `${what}: ${r.body}`);
  const wait = Number(r.headers.get("retry-after"));
  assert.ok(wait >= 1 && wait <= 30, `${what}: Retry-After ${wait}`);
}

for (const dialect of flowDialects()) {
  describe(`lockout: one count per account, checked before the credential (${dialect})`, () => {
    let app: TestApp;
    const locked: string[] = [];
    before(async () => {
      app = await createTestApp({ dialect, mail: true, config: base as never, features });
      app.rampart.events.on("user_locked", (e) => void locked.push(`${e.user?.email ?? e.identity}:${e.failures}`));
    });
    after(() => app.close());

    it("email in any case, username, JSON, form and HTTP basic share one count: from the 5th failure even the right password gets 429", async () => {
      const email = "Alice.Smith-1+tag@Sub.Example.test";
      await app.rampart.api.createUser({ email, username: "alice1", password: PASSWORD });
      const c = app.client();
      assert.equal((await login(c, { email: "ALICE.SMITH-1+TAG@sub.example.test" }, "wrong 1")).status, 400);
      assert.equal((await formLogin(app.client(), "alice.smith-1+tag@sub.example.test", "wrong 2")).status, 200);
      assert.equal((await login(c, { username: "alice1" }, "wrong 3")).status, 400);
      assert.equal((await basic(app.client(), "alice.smith-1+tag@sub.example.test", "wrong 4")).status, 401);
      // The 5th failure starts the wait (30 s by default).
      assert.equal((await login(c, { email }, "wrong 5", "203.0.113.9")).status, 400);
      assert.deepEqual(locked, [`${email.replace("Sub.Example", "sub.example")}:5`]);

      const right = await login(app.client(), { email: email.toLowerCase() }, PASSWORD, "198.51.100.7");
      assertLocked(right, "JSON /login");
      assert.deepEqual(right.json.response.error_codes, ["LOCKED_OUT"]);
      assertLocked(await login(app.client(), { username: "ALICE1" }, PASSWORD), "username");
      const form = await formLogin(app.client(), email, PASSWORD);
      assertLocked(form, "form /login");
      assert.match(form.headers.get("content-type") ?? "", /text\/html/);
      assert.match(form.body, /Too many failed attempts/);
      const viaBasic = await basic(app.client(), "alice1", PASSWORD);
      assertLocked(viaBasic, "basic");
      assert.deepEqual(viaBasic.json.response.error_codes, ["LOCKED_OUT"]);

      // Refused attempts were not counted, judged or audited one by one; the lock itself is audited once.
      const user = (await app.rampart.api.findUser(email))!;
      assert.deepEqual(await app.rampart.api.lockState(user), {
        failures: 5,
        locked: true,
        retryAfterSeconds: (await app.rampart.api.lockState(user)).retryAfterSeconds,
      });
      const rows = await app.rampart.api.auditEvents({ userId: user.id });
      assert.equal(rows.filter((r) => r.event === "login" && r.outcome === "failure").length, 5);
      assert.deepEqual(
        rows.filter((r) => r.event === "user_locked").map((r) => r.details),
        [{ failures: 5, seconds: 30, until_reset: false }],
      );
      // An administrator's unlock (audited): the right password works at once.
      assert.equal(await app.rampart.api.unlockUser(user), true);
      assert.equal((await login(app.client(), { email }, PASSWORD)).status, 200);
      assert.deepEqual(
        (await app.rampart.api.auditEvents({ userId: user.id, event: "user_unlocked" })).map((r) => r.details),
        [{ via: "admin", failures: 5 }],
      );
    });

    it("fail 4, succeed, fail 4: a success forgets the failures (not locked)", async () => {
      const email = "carol.x@x.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      for (let i = 0; i < 4; i++) assert.equal((await login(app.client(), { email }, `nope ${i}`)).status, 400);
      assert.equal((await login(app.client(), { email }, PASSWORD)).status, 200);
      for (let i = 0; i < 4; i++) assert.equal((await login(app.client(), { email }, `nope ${i}`)).status, 400);
      assert.equal((await login(app.client(), { email }, PASSWORD)).status, 200);
    });

    it("fail 4 (someone else), then the owner's right /verify: their next sign-in is judged at once, not held", async () => {
      const email = "Owner.Re-Auth+x@Sub.Example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const owner = app.client();
      assert.equal((await login(owner, { email }, PASSWORD)).status, 200);
      for (let i = 0; i < 4; i++) assert.equal((await login(app.client(), { email }, `nope ${i}`)).status, 400);
      // The 5th attempt is judged alone (it holds the account's turn); a success must let the turn go.
      assert.equal((await json(owner, "/verify", { password: PASSWORD })).status, 200);
      const started = Date.now();
      const next = await login(app.client(), { email }, PASSWORD);
      assert.equal(next.status, 200, `${next.status} Retry-After ${next.headers.get("retry-after")}`);
      assert.ok(Date.now() - started < 3000, `waited ${Date.now() - started} ms for a turn nobody holds`);
    });

    it("/verify and /change inside a session count toward the same lock, and it holds at /login too", async () => {
      const email = "Bob.Session@x.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const c = app.client();
      assert.equal((await login(c, { email }, PASSWORD)).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await json(c, "/verify", { password: `no ${i}` })).status, 400);
      const change = (current: string) =>
        json(c, "/change", {
          password: current,
          new_password: "a brand new passphrase",
          new_password_confirm: "a brand new passphrase",
        });
      assert.equal((await change("not it")).status, 400);
      assert.equal((await change("still not it")).status, 400);
      assertLocked(await json(c, "/verify", { password: PASSWORD }), "/verify");
      assertLocked(await change(PASSWORD), "/change");
      assertLocked(await login(app.client(), { email }, PASSWORD), "/login");
      // The session itself is not ended by a lock.
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("an identity that names no account answers exactly as an account does, at every count", async () => {
      await app.rampart.api.createUser({ email: "dave.known@x.test", password: PASSWORD });
      const strip = (r: Reply) => {
        const headers = [...r.headers.entries()].filter(([k]) => !["date", "set-cookie", "retry-after"].includes(k));
        return { status: r.status, body: r.body, headers, wait: r.headers.has("retry-after") };
      };
      for (let i = 1; i <= 8; i++) {
        // Interleaved, so both counts and waits start together.
        const known = await login(app.client(), { email: "dave.known@x.test" }, `guess ${i}`);
        const nobody = await login(app.client(), { email: "Dave.Nobody@x.test" }, `guess ${i}`);
        assert.deepEqual(strip(nobody), strip(known), `attempt ${i}`);
        assert.equal(known.status, i <= 5 ? 400 : 429, `attempt ${i}`);
        if (i > 5) {
          const [a, b] = [Number(known.headers.get("retry-after")), Number(nobody.headers.get("retry-after"))];
          assert.ok(Math.abs(a - b) <= 1, `Retry-After ${a} vs ${b}`);
        }
      }
      // The same spelling rules hold for the unknown identity: another case is the same count.
      assert.equal((await login(app.client(), { email: "DAVE.NOBODY@X.TEST" }, PASSWORD)).status, 429);
    });
  });

  describe(`lockout: the ceiling holds until a password reset (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        // Short real waits; the ceiling lowered from 100 so the test reaches it in seconds.
        config: { ...base, lockout: { threshold: 2, delaySeconds: 1, maxDelaySeconds: 1, maxFailures: 4 } } as never,
        features,
      });
    });
    after(() => app.close());

    it("101 guesses from 101 (untrusted) addresses: 4 judged, the 101st with the right password refused; after /reset the new password works at once", async () => {
      const email = "Erin.Ceiling+1@Sub.X.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const statuses: number[] = [];
      let last: Reply | null = null;
      for (let i = 1; i <= 101; i++) {
        last = await login(app.client(), { email }, i === 101 ? PASSWORD : `guess ${i}`, `192.0.2.${i}`);
        statuses.push(last.status);
        if (last.status === 429) assert.ok(Number(last.headers.get("retry-after")) >= 1);
        // Waits are short here: sit out the first ones, as a patient attacker would.
        if (last.status === 429 && statuses.filter((s) => s === 400).length < 4)
          await new Promise((r) => setTimeout(r, 1100));
      }
      assert.equal(statuses.filter((s) => s === 400).length, 4, statuses.join(","));
      assert.equal(last!.status, 429, "the right password at attempt 101");
      assert.ok(statuses.every((s) => s === 400 || s === 429));
      // Not a wait any more: still refused after the longest wait.
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await login(app.client(), { email }, PASSWORD)).status, 429);
      const user = (await app.rampart.api.findUser(email))!;
      assert.deepEqual(
        (await app.rampart.api.auditEvents({ userId: user.id, event: "user_locked" })).map((r) => r.details).reverse(),
        [
          { failures: 2, seconds: 1, until_reset: false },
          { failures: 4, seconds: null, until_reset: true },
        ],
      );
      assert.deepEqual(await app.rampart.api.lockState(user), { failures: 4, locked: true, retryAfterSeconds: null });

      // The reset link is not throttled by the lock; completing it unlocks.
      const c = app.client();
      assert.equal((await json(c, "/reset", { email: email.toLowerCase() })).status, 200);
      const mail = await app.sink.waitFor((m) =>
        JSON.stringify(m.envelopeTo).toLowerCase().includes(email.toLowerCase()),
      );
      const link = linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"));
      assert.ok(link, mail.text);
      const reset = await json(c, new URL(link!).pathname, {
        password: "a new long passphrase",
        password_confirm: "a new long passphrase",
      });
      assert.equal(reset.status, 200, reset.body);
      assert.equal((await login(app.client(), { email }, "a new long passphrase")).status, 200);
      assert.deepEqual(
        (await app.rampart.api.auditEvents({ userId: user.id, event: "user_unlocked" })).map((r) => r.details),
        [{ via: "password", failures: 4 }],
      );
    });
  });
}
