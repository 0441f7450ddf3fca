import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { RequestContext } from "../../core/context.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import { writtenCaller } from "../../core/session-writer.js";
import type { Resumption } from "../../core/sign-in.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  signInWithCode,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

// The test factor's failures are audited under an event of its own.
declare module "../../core/audit.js" {
  interface AuditEvents {
    test_resume: true;
  }
}

/**
 * The pipeline owns the pending sign-in: only `resume` completes it, after verifying a factor (budget first),
 * once, and for the user the attempt names. Nobody can assert a second factor to `signIn`.
 */
for (const dialect of flowDialects()) {
  describe(`pending sign-in: resume (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    const A = "Alice.Pending-A+tf@Sub.Example.test";
    const B = "bob.session_b+tf@example.test";
    before(async () => {
      t = await createTfApp(dialect);
      for (const email of [A, B]) secrets.set(email, await enrolAuthenticator(t, email));
    });
    after(() => t.app.close());

    /** A request context as the server would build it for `cookie`. */
    function ctxWith(cookie = ""): RequestContext {
      const headers = cookie ? { cookie } : undefined;
      return new RequestContext(t.app.runtime, new Request("https://app.test/x", { method: "POST", headers }));
    }
    /** A factor whose check counts its evaluations and answers `valid`. */
    function factor(
      valid: boolean,
      seen: { n: number },
      limit: Resumption["credential"]["limit"] = {
        spec: { name: "test-resume", points: 1000, durationSeconds: 60 },
        key: "test-resume",
      },
    ): Resumption {
      return {
        method: "authenticator",
        credential: { kind: "test", audit: "test_resume", limit, verify: async () => (seen.n++, { valid }) },
        includeAuthToken: false,
      };
    }
    async function pendingCookie(email: string): Promise<string> {
      const c = t.app.client();
      await loginPending(c, email, "ready");
      return `__Host-rampart_tf=${c.jar.get("__Host-rampart_tf")}`;
    }

    it("signIn ignores a second factor its caller asserts: a 2FA user is still interrupted", async () => {
      const user = (await t.app.rampart.datastore.users.findByEmail(A.toLowerCase()))!;
      const ctx = ctxWith();
      const result = await t.app.runtime.pipeline.signIn(ctx, {
        user,
        authnVia: ["password"],
        remember: false,
        kind: "session",
        includeAuthToken: false,
        secondFactor: "authenticator",
      } as never);
      assert.equal(result.kind, "interrupt");
      assert.equal(writtenCaller(ctx), undefined, "no session was made");
    });

    it("resume refuses without a pending attempt, and one made up by its caller, before evaluating anything", async () => {
      const seen = { n: 0 };
      const none = ctxWith();
      assert.equal(await t.app.runtime.pipeline.pending(none), null);
      assert.deepEqual(await t.app.runtime.pipeline.resume(none, null, factor(true, seen)), { kind: "no-pending" });
      const user = (await t.app.rampart.datastore.users.findByEmail(A.toLowerCase()))!;
      const forged: PendingSignIn = {
        user,
        authnVia: ["password"],
        remember: false,
        firstFactorIsMultiFactor: false,
        check: "two-factor",
        step: { state: "ready", method: "authenticator" },
        id: "made-up-attempt-id-0123456789",
        startedAt: Math.floor(Date.now() / 1000),
      };
      const ctx = ctxWith();
      assert.deepEqual(await t.app.runtime.pipeline.resume(ctx, forged, factor(true, seen)), { kind: "no-pending" });
      // Loaded from another request: not this request's attempt either.
      const other = ctxWith(await pendingCookie(A));
      const loaded = await t.app.runtime.pipeline.pending(other);
      assert.ok(loaded);
      assert.deepEqual(await t.app.runtime.pipeline.resume(ctxWith(), loaded, factor(true, seen)), {
        kind: "no-pending",
      });
      // A factor the attempt does not wait for is refused too.
      const wrongFactor = { ...factor(true, seen), method: "sms" as const };
      assert.deepEqual(await t.app.runtime.pipeline.resume(other, loaded, wrongFactor), { kind: "no-pending" });
      assert.equal(seen.n, 0, "no credential was evaluated");
      assert.equal(writtenCaller(ctx), undefined);
    });

    it("a consumed pending attempt cannot be resumed twice (the same cookie in two requests)", async () => {
      const cookie = await pendingCookie(A);
      const seen = { n: 0 };
      const first = ctxWith(cookie);
      const done = await t.app.runtime.pipeline.resume(
        first,
        await t.app.runtime.pipeline.pending(first),
        factor(true, seen),
      );
      assert.equal(done.kind, "signed-in");
      assert.equal(done.kind === "signed-in" && done.user.email.toLowerCase(), A.toLowerCase());
      const second = ctxWith(cookie);
      const again = await t.app.runtime.pipeline.resume(
        second,
        await t.app.runtime.pipeline.pending(second),
        factor(true, seen),
      );
      assert.deepEqual(again, { kind: "replayed" });
      assert.equal(writtenCaller(second), undefined, "no second session");
    });

    it("the factor's limit is drawn before the credential is evaluated: past it even a valid factor is not looked at", async () => {
      const cookie = await pendingCookie(A);
      const seen = { n: 0 };
      const budget = {
        spec: { name: "test-resume-one", points: 1, durationSeconds: 60 },
        key: `test-resume:${dialect}:${Date.now()}`,
      };
      const one = ctxWith(cookie);
      const wrong = await t.app.runtime.pipeline.resume(
        one,
        await t.app.runtime.pipeline.pending(one),
        factor(false, seen, budget),
      );
      assert.deepEqual(wrong, { kind: "failed", reason: "INVALID_PASSWORD" });
      const two = ctxWith(cookie);
      const spent = await t.app.runtime.pipeline.resume(
        two,
        await t.app.runtime.pipeline.pending(two),
        factor(true, seen, budget),
      );
      assert.equal(spent.kind === "failed" && spent.reason, "BUDGET_SPENT");
      assert.ok(spent.kind === "failed" && spent.retryAfterSeconds! > 0, "with the time left");
      assert.equal(seen.n, 1, "the second attempt was never evaluated");
      assert.equal(writtenCaller(two), undefined);
    });

    it("over HTTP: A's pending cookie with B's session signs in A (with A's code), never B; B's code does not complete A's", async () => {
      const b = await signInWithCode(t, B, secrets.get(B)!);
      const aPending = await pendingCookie(A);
      t.advance(30);
      toStepStart(t);
      const withBsCode = await b.c.post("/tf-validate", {
        json: { code: oath(t, secrets.get(B)!) },
        headers: { "x-csrf-token": b.csrf, cookie: `${b.c.cookieHeader()}; ${aPending}` },
      });
      assert.equal(withBsCode.status, 400, withBsCode.body);
      assert.deepEqual(withBsCode.json.response.field_errors, { code: ["Invalid code"] });
      const withAsCode = await b.c.post("/tf-validate", {
        json: { code: oath(t, secrets.get(A)!) },
        headers: { "x-csrf-token": b.csrf, cookie: `${b.c.cookieHeader()}; ${aPending}` },
      });
      assert.equal(withAsCode.status, 200, withAsCode.body);
      assert.equal(withAsCode.json.response.user.email.toLowerCase(), A.toLowerCase(), "the stored attempt's user");
      // A pending sign-in without its cookie is nothing: B's session alone posting a code is refused.
      const plain = await signInWithCode(t, B, secrets.get(B)!);
      const stray = await validate(plain.c, plain.csrf, oath(t, secrets.get(B)!, 30));
      assert.equal(stray.status, 400, stray.body);
      assert.deepEqual(stray.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });
  });
}
