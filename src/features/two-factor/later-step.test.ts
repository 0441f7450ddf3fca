import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { flowDialects } from "../../../test/helpers/app.js";
import type { Feature } from "../../core/feature.js";
import { jsonResponse } from "../../core/http/respond.js";
import { interruptTo } from "../../core/sign-in.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

declare module "../../core/methods.js" {
  interface SecondFactorMethods {
    terms: true;
  }
}
declare module "../../core/audit.js" {
  interface AuditEvents {
    test_terms: true;
  }
}

/**
 * A check after two-factor that stops the sign-in with a step of its own (new terms to accept), completed with
 * `pipeline.resume`: the step proves no second factor, so the session records the code's factor, and the code is
 * not asked for again.
 */
const accepted = new Set<number>();
/** New terms are published (the check stops sign-ins) only once the test user has enrolled. */
let published = false;
const termsFeature: Feature = {
  name: "test-terms",
  signInChecks: () => [
    {
      name: "test-terms",
      pending: {
        wire: z.object({}),
        encode: () => ({}),
        decode: () => ({}),
        maxAgeSeconds: () => 600,
        resumableBy: (_step, method) => method === "terms",
      },
      async run(_ctx, attempt) {
        if (!published || accepted.has(attempt.user.id)) return { kind: "continue" };
        return interruptTo({ terms_required: true }, "/test-terms", { pending: {} });
      },
    },
  ],
  routes: () => [
    {
      method: "POST",
      path: "/test-terms",
      auth: "anonymous-only",
      csrfExempt: true,
      // It completes the pending sign-in (a credential check that can answer 429).
      limits: ["credential"],
      async handler(ctx) {
        const r = await ctx.rt.pipeline.resume(ctx, await ctx.rt.pipeline.pending(ctx), {
          method: "terms",
          credential: {
            kind: "terms",
            audit: "test_terms",
            limit: { spec: { name: "test-terms", points: 100, durationSeconds: 60 }, key: "test-terms" },
            verify: async (user) => (accepted.add(user.id), { valid: true }),
          },
          includeAuthToken: false,
        });
        return jsonResponse(ctx, 200, { kind: r.kind, response: r.kind === "interrupt" ? r.response : null });
      },
    },
  ],
};

for (const dialect of flowDialects()) {
  describe(`a later sign-in step after the second factor (${dialect})`, () => {
    let t: TfApp;
    before(async () => {
      published = false;
      accepted.clear();
      t = await createTfApp(dialect, {}, false, {}, [termsFeature]);
    });
    after(() => t.app.close());

    it("keeps the factor the code proved and does not ask for it again", async () => {
      const secret = await enrolAuthenticator(t, "Terms.Later+tf@Sub.Example.test");
      const user = (await t.app.rampart.datastore.users.findByEmail("terms.later+tf@sub.example.test"))!;
      published = true;
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "terms.later+tf@sub.example.test", "ready");
      const v = await validate(c, l.json.response.csrf_token as string, oath(t, secret));
      assert.equal(v.status, 200, v.body);
      assert.equal(v.json.response.terms_required, true, "the later check stopped the sign-in");
      const done = await c.post("/test-terms", { json: {} });
      assert.equal(done.json.response.kind, "signed-in", done.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      const sessions = await t.app.runtime.sessions.listForUser(user.id);
      const latest = sessions.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!;
      assert.deepEqual(latest.mfaProof, { kind: "second-factor", method: "authenticator" });
    });
  });
}
