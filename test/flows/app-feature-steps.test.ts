import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { clocked, oathCode, toStepStart, type ClockedApp } from "../helpers/totp-clock.js";
import { enrolAuthenticator } from "../../src/features/two-factor/testing/kit.js";
import type { RouteContext } from "../../src/feature.js";
import { storeDefOf } from "../../src/feature/store.js";
import { ackStore, houseRules, rules, seenBy, type Ack } from "../fixtures/house-rules-feature.js";

/**
 * An app's feature with its own table and a sign-in check that stops a sign-in with a step; its own route
 * continues that stopped sign-in (`pendingSignIn`, `ctx.resumeSignIn`). Written with rampart/feature alone
 * (test/fixtures/house-rules-feature.ts).
 */
const PASSWORD = "correct horse battery";

async function post(c: TestClient, path: string, json: Record<string, unknown>): Promise<Reply> {
  return c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
}

/** Password login stopped by the rules check: 200, the step's answer, nobody signed in. */
async function stopped(c: TestClient, email: string): Promise<void> {
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.response.rules_required, true, r.body);
  assert.equal(r.json.response.user, undefined);
  assert.equal((await c.get("/rules/mine", { acceptJson: true })).status, 401);
}

const pendingCookie = (c: TestClient) => [...c.jar].find(([name]) => name.endsWith("rampart_tf"));

// Compile-time: the store is typed through ctx.store.
export async function typedThroughContext(ctx: RouteContext): Promise<Ack | null> {
  const store = ctx.store(ackStore);
  // @ts-expect-error a user id is a number
  await store.latest("1");
  return store.latest(1);
}

for (const dialect of flowDialects()) {
  describe(`an app feature's store and its stopped sign-in continued by its route (${dialect})`, () => {
    let t: ClockedApp;
    before(async () => {
      const app = await createTestApp({
        dialect,
        migrations: "auto",
        config: {
          unifiedSignin: { enabled: true, enabledMethods: ["password", "email"] },
          registration: { enabled: true },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rules Test" },
          twoFactor: { enabled: true },
        } as never,
        features: [houseRules as never],
      });
      t = clocked(app);
    });
    after(() => t.app.close());
    const user = (email: string) => t.app.rampart.api.createUser({ email, password: PASSWORD });

    it("a wrong answer keeps it stopped; the right one signs in once and stores a typed row", async () => {
      const email = "Rules.Ack+one@Sub.Example.test";
      const created = await user(email);
      const c = t.app.client();
      await stopped(c, email);
      const copy = pendingCookie(c);
      assert.ok(copy, "the pipeline keeps the stopped sign-in");

      const wrong = await post(c, "/rules", { version: "rules-6" });
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { version: ["These are not the current rules."] });
      assert.equal((await c.get("/rules/mine", { acceptJson: true })).status, 401, "nobody signed in");

      const done = await post(c, "/rules", { version: rules.version });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, email.replace("Sub.Example.test", "sub.example.test"));
      assert.equal(done.json.response.acked, rules.version);
      const mine = await c.get("/rules/mine", { acceptJson: true });
      assert.equal(mine.status, 200, mine.body);
      assert.equal(mine.json.response.version, rules.version);
      assert.ok(!Number.isNaN(Date.parse(mine.json.response.acked_at)));
      const row = await t.app.runtime.datastore.store(storeDefOf(ackStore)).latest(created.id);
      assert.ok(row && row.ackedAt instanceof Date && row.version === rules.version, "the row reads back typed");

      // The same stopped sign-in, replayed from a copy of its cookie: refused, nobody signed in.
      const replay = t.app.client();
      replay.jar.set(copy[0], copy[1]);
      const again = await post(replay, "/rules", { version: rules.version });
      assert.equal(again.status, 400, again.body);
      assert.equal(again.json.response.reason, "ALREADY_USED");
      assert.equal((await replay.get("/rules/mine", { acceptJson: true })).status, 401);

      // Acknowledged: the next sign-in goes through.
      const next = await t.app.client().login(email, PASSWORD);
      assert.equal(next.status, 200, next.body);
      assert.ok(next.json.response.user);
    });

    it("resumeSignIn works once per request, and not without a stopped sign-in", async () => {
      const email = "twice-in-one@rules.example.test";
      await user(email);
      const c = t.app.client();
      await stopped(c, email);
      const twice = await post(c, "/rules", { version: rules.version, twice: "1" });
      assert.equal(twice.status, 409, twice.body);
      assert.equal(twice.json.response.second, "NO_PENDING_SIGN_IN");
      const none = await post(t.app.client(), "/rules", { version: rules.version });
      assert.equal(none.status, 400);
      assert.deepEqual(none.json.response.field_errors, { version: ["There is no sign-in waiting for the rules."] });
    });

    it("A's stopped sign-in with B's session signs in A (whose rules step it is), never B", async () => {
      const a = "alpha.rules@x-y.example.test";
      const b = "bravo.rules@x-y.example.test";
      const [ua] = [await user(a), await user(b)];
      const cb = t.app.client();
      await stopped(cb, b);
      assert.equal((await post(cb, "/rules", { version: rules.version })).status, 200);
      const ca = t.app.client();
      await stopped(ca, a);
      const [name, value] = pendingCookie(ca)!;
      cb.jar.set(name, value);
      const done = await post(cb, "/rules", { version: rules.version });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, a);
      const row = await t.app.runtime.datastore.store(storeDefOf(ackStore)).latest(ua.id);
      assert.equal(row?.version, rules.version, "A's acknowledgement, stored for A");
    });

    it("the check runs on every way of signing in: /us-signin and registration's sign-in stop too", async () => {
      seenBy.length = 0;
      const email = "us-rules@x.example.test";
      await user(email);
      const c = t.app.client();
      const viaUs = await post(c, "/us-signin", { identity: email, passcode: PASSWORD });
      assert.equal(viaUs.status, 200, viaUs.body);
      assert.equal(viaUs.json.response.rules_required, true);
      const done = await post(c, "/rules", { version: rules.version });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, email);

      const r = t.app.client();
      const reg = await post(r, "/register", {
        email: "New.Rules+reg@Example.test",
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      assert.equal(reg.status, 200, reg.body);
      assert.equal(reg.json.response.rules_required, true);
      assert.equal((await r.get("/rules/mine", { acceptJson: true })).status, 401);
      assert.ok(seenBy.length >= 3, `the check ran for each: ${seenBy.join(", ")}`);
    });

    it("after a second factor, accepting the rules completes the sign-in without asking for the code again", async () => {
      const email = "two-factor.rules@x.example.test";
      rules.off = true;
      let secret: string;
      try {
        secret = await enrolAuthenticator(t, email);
      } finally {
        rules.off = false;
      }
      toStepStart(t);
      t.advance(30);
      const c = t.app.client();
      const first = await c.login(email, PASSWORD);
      assert.equal(first.json.response.tf_required, true, first.body);
      const code = await c.post("/tf-validate", {
        json: { code: oathCode(t, secret) },
        headers: { "x-csrf-token": first.json.response.csrf_token },
      });
      assert.equal(code.status, 200, code.body);
      assert.equal(code.json.response.rules_required, true, "the rules stop it after the code");
      assert.equal((await c.get("/rules/mine", { acceptJson: true })).status, 401);
      const done = await post(c, "/rules", { version: rules.version });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, email);
      // The session proves the second factor (a second-factor change needs it): the code was not lost.
      const id = (await t.app.rampart.api.findUser(email))!.id;
      const sessions = await t.app.runtime.datastore.sessions.listForUser(id);
      assert.ok(
        sessions.some((s) => s.authnVia.includes("tf:authenticator") && s.mfaProof?.kind === "second-factor"),
        JSON.stringify(sessions.map((s) => [s.authnVia, s.mfaProof])),
      );
    });
  });
}
