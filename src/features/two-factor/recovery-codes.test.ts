import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  signInWithCode,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/** Multi-factor recovery codes: /mf-recovery-codes (fresh) and /mf-recovery during a pending sign-in. */
const CODE_SHAPE = /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/;

async function generate(t: TfApp, email: string, secret: string): Promise<string[]> {
  const { c, csrf } = await signInWithCode(t, email, secret);
  const r = await c.post("/mf-recovery-codes", { json: {}, headers: { "x-csrf-token": csrf } });
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers.get("cache-control") ?? "", /no-store/);
  const codes = r.json.response.recovery_codes as string[];
  assert.equal(codes.length, 5);
  for (const code of codes) assert.match(code, CODE_SHAPE);
  assert.equal(new Set(codes).size, 5);
  return codes;
}

/** A fresh client with a pending (state `ready`) password login; returns it with its CSRF token. */
async function pending(t: TfApp, email: string): Promise<{ c: TestClient; csrf: string }> {
  const c = t.app.client();
  const l = await loginPending(c, email, "ready");
  return { c, csrf: l.json.response.csrf_token as string };
}

function recover(p: { c: TestClient; csrf: string }, code: string) {
  return p.c.post("/mf-recovery", { json: { code }, headers: { "x-csrf-token": p.csrf } });
}

async function signedInNow(c: TestClient): Promise<boolean> {
  return (await c.get("/api/protected", { acceptJson: true })).status === 200;
}

for (const dialect of flowDialects()) {
  describe(`multi-factor recovery codes (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    before(async () => {
      t = await createTfApp(dialect, { recoveryCodes: true, alwaysValidate: false }, false, {
        freshness: { withinSeconds: 600 },
      });
      for (const email of ["rc@x.test", "regen@x.test", "budget@x.test", "race@x.test"])
        secrets.set(email, await enrolAuthenticator(t, email));
    });
    after(() => t.app.close());

    it("generate → log out → password login → /mf-recovery with a code → signed in (no token, no tf_validity); the same code again → refused", async () => {
      const codes = await generate(t, "rc@x.test", secrets.get("rc@x.test")!);
      const p = await pending(t, "rc@x.test");
      assert.equal(await signedInNow(p.c), false);
      const g = await p.c.get("/tf-validate", { acceptJson: true });
      assert.ok(g.json.response.recovery_options.recovery_code, "rescue offers recovery_code once codes exist");
      const rescue = await p.c.post("/tf-rescue", {
        json: { help_setup: "recovery_code" },
        headers: { "x-csrf-token": p.csrf },
      });
      assert.equal(rescue.status, 302);
      assert.match(rescue.location ?? "", /\/mf-recovery$/);
      assert.equal((await p.c.get("/mf-recovery", { acceptJson: true })).status, 200);
      // Typed as a user might: upper case, no dashes, surrounding spaces.
      const ok = await p.c.post("/mf-recovery?include_auth_token", {
        json: { code: `  ${codes[0]!.replace(/-/g, "").toUpperCase()} ` },
        headers: { "x-csrf-token": p.csrf },
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.user.email, "rc@x.test");
      assert.equal(typeof ok.json.response.csrf_token, "string");
      assert.equal(ok.json.response.user.authentication_token, undefined, "no auth token from /mf-recovery");
      assert.ok(![...p.c.jar.keys()].includes("__Host-tf_validity"), "no tf_validity cookie");
      assert.equal(await signedInNow(p.c), true);

      const again = await recover(await pending(t, "rc@x.test"), codes[0]!);
      assert.equal(again.status, 400);
      assert.deepEqual(again.json.response.field_errors, { code: ["Recovery code invalid"] });
      // Another unused code still works; GET shows how many are left, never the codes.
      const p2 = await pending(t, "rc@x.test");
      assert.equal((await recover(p2, codes[1]!)).status, 200);
      const listed = await p2.c.get("/mf-recovery-codes", { acceptJson: true });
      assert.equal(listed.status, 200, listed.body);
      assert.deepEqual(listed.json.response.recovery_codes, []);
      assert.equal(listed.json.response.codes_left, 3);
      assert.ok(!codes.some((code) => listed.body.includes(code)));
      const page = await p2.c.get("/mf-recovery-codes");
      assert.equal(page.status, 200);
      assert.ok(!codes.some((code) => page.body.includes(code)), "the HTML page never shows stored codes");
    });

    it("malformed or wrong codes → 400 INVALID_RECOVERY_CODE in the contract shape; wrong types → 400", async () => {
      const p = await pending(t, "rc@x.test");
      for (const code of ["", "nope", "0000-0000-0000-0000", "x".repeat(64)]) {
        const r = await recover(p, code);
        assert.equal(r.status, 400, `${code}: ${r.body}`);
        assert.deepEqual(r.json.response.field_errors, { code: ["Recovery code invalid"] });
      }
      const typed = await p.c.post("/mf-recovery", { json: { code: 12 }, headers: { "x-csrf-token": p.csrf } });
      assert.equal(typed.status, 400);
      await t.app.rampart.api.unlockUser((await t.app.rampart.api.findUser("rc@x.test"))!); // a clean count for later tests
    });

    it("regenerating replaces the set: an unused old code is refused, a new one works", async () => {
      const secret = secrets.get("regen@x.test")!;
      const old = await generate(t, "regen@x.test", secret);
      const fresh = await generate(t, "regen@x.test", secret);
      assert.equal(fresh.filter((c) => old.includes(c)).length, 0);
      const refused = await recover(await pending(t, "regen@x.test"), old[2]!);
      assert.equal(refused.status, 400, refused.body);
      const p = await pending(t, "regen@x.test");
      assert.equal((await recover(p, fresh[2]!)).status, 200);
      assert.equal(await signedInNow(p.c), true);
    });

    it("outside the two-factor state → 400 TWO_FACTOR_PERMISSION_DENIED; HTML → 302 to /login", async () => {
      const c = t.app.client();
      const csrf = await c.csrf();
      const r = await c.post("/mf-recovery", {
        json: { code: "0000-0000-0000-0000" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal((await c.get("/mf-recovery", { acceptJson: true })).status, 400);
      const h = await c.post("/mf-recovery", { form: { code: "x", csrf_token: csrf } });
      assert.equal(h.status, 302);
      assert.match(h.location ?? "", /\/login$/);
      assert.equal(
        (await c.get("/mf-recovery-codes", { acceptJson: true })).status,
        401,
        "generation needs a signed-in user",
      );
    });

    it("the attempt budget is shared with /tf-validate: after 5 failures a correct recovery code gets 429 and is not spent", async () => {
      const secret = secrets.get("budget@x.test")!;
      const codes = await generate(t, "budget@x.test", secret);
      toStepStart(t);
      const p = await pending(t, "budget@x.test");
      const wrong = oath(t, secret) === "000000" ? "111111" : "000000";
      for (let i = 0; i < 3; i++) assert.equal((await validate(p.c, p.csrf, wrong)).status, 400);
      for (let i = 0; i < 2; i++) assert.equal((await recover(p, "0000-0000-0000-0000")).status, 400);
      const limited = await recover(p, codes[0]!);
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.json.response.error_codes, ["TWO_FACTOR_TOO_MANY_ATTEMPTS"]);
      assert.equal(await signedInNow(p.c), false);
      await t.app.rampart.api.unlockUser((await t.app.rampart.api.findUser("budget@x.test"))!);
      const later = await pending(t, "budget@x.test");
      assert.equal((await recover(later, codes[0]!)).status, 200, "the refused code was not consumed");
    });

    it("HTML: the generate form shows the new codes once with a store-them-now notice; the code form signs in", async () => {
      const { c, csrf } = await signInWithCode(t, "regen@x.test", secrets.get("regen@x.test")!);
      const r = await c.post("/mf-recovery-codes", { form: { csrf_token: csrf } });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /Store these codes now/);
      const shown = [...r.body.matchAll(/<code>([0-9a-f-]{19})<\/code>/g)].map((m) => m[1]!);
      assert.equal(shown.length, 5);
      const p = await pending(t, "regen@x.test");
      const form = await p.c.get("/mf-recovery");
      assert.equal(form.status, 200);
      assert.match(form.body, /id="mf-recovery-form"/);
      const bad = await p.c.post("/mf-recovery", { form: { code: "0000-0000-0000-0000", csrf_token: p.csrf } });
      assert.match(bad.body, /Recovery code invalid/);
      const ok = await p.c.post("/mf-recovery", { form: { code: shown[4]!, csrf_token: p.csrf } });
      assert.equal(ok.status, 302);
      assert.equal(await signedInNow(p.c), true);
    });

    it("a stale session → 401 reauth on /mf-recovery-codes; after /verify it generates with the current code (decision 44)", async () => {
      const { c } = await signInWithCode(t, "regen@x.test", secrets.get("regen@x.test")!);
      t.advance(601);
      const g = await c.get("/mf-recovery-codes", { acceptJson: true });
      assert.equal(g.status, 401, g.body);
      assert.equal(g.json.response.reauth_required, true);
      const csrf = await c.csrf();
      const stale = await c.post("/mf-recovery-codes", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(stale.status, 401, stale.body);
      const verify = await c.post("/verify", { json: { password: PASSWORD }, headers: { "x-csrf-token": csrf } });
      assert.equal(verify.status, 200, verify.body);
      const passwordOnly = await c.post("/mf-recovery-codes", {
        json: {},
        headers: { "x-csrf-token": verify.json.response.csrf_token },
      });
      assert.equal(passwordOnly.status, 401, passwordOnly.body);
      assert.deepEqual(passwordOnly.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
      toStepStart(t);
      const ok = await c.post("/mf-recovery-codes", {
        json: { code: oath(t, secrets.get("regen@x.test")!) },
        headers: { "x-csrf-token": verify.json.response.csrf_token },
      });
      assert.equal(ok.status, 200, ok.body);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`recovery codes are single-use under concurrency (${dialect})`, () => {
    let t: TfApp;
    let secret = "";
    before(async () => {
      // 19 of the 20 submissions fail: a lockout threshold above that lets every one be judged.
      t = await createTfApp(dialect, { recoveryCodes: true }, false, { lockout: { threshold: 100 } });
      secret = await enrolAuthenticator(t, "race@x.test");
    });
    after(() => t.app.close());

    it("20 parallel submissions of one code from 20 pending logins → exactly one session", async () => {
      const codes = await generate(t, "race@x.test", secret);
      const logins: { c: TestClient; csrf: string }[] = [];
      for (let i = 0; i < 20; i++) logins.push(await pending(t, "race@x.test"));
      const replies = await Promise.all(logins.map((p) => recover(p, codes[0]!)));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.status).join(","));
      assert.ok(
        replies.every(
          (r) =>
            r.status === 200 ||
            (r.status === 400 && r.json.response.field_errors?.code?.[0] === "Recovery code invalid"),
        ),
      );
      const sessions = await Promise.all(logins.map((p) => signedInNow(p.c)));
      assert.equal(sessions.filter(Boolean).length, 1);
      // Two different codes in parallel both succeed (the compare-and-set retries on a lost race).
      const [a, b] = [await pending(t, "race@x.test"), await pending(t, "race@x.test")];
      const both = await Promise.all([recover(a, codes[1]!), recover(b, codes[2]!)]);
      assert.deepEqual(
        both.map((r) => r.status),
        [200, 200],
      );
    });
  });
}

describe("recovery codes are off by default (sqlite)", () => {
  let t: TfApp;
  before(async () => {
    t = await createTfApp("sqlite");
  });
  after(() => t.app.close());

  it("no /mf-recovery-codes or /mf-recovery routes", async () => {
    const c = t.app.client();
    await t.app.rampart.api.createUser({ email: "off@x.test", password: PASSWORD });
    assert.equal((await c.login("off@x.test", PASSWORD)).status, 200);
    assert.equal((await c.get("/mf-recovery-codes", { acceptJson: true })).status, 404);
    assert.equal((await c.get("/mf-recovery", { acceptJson: true })).status, 404);
  });
});
