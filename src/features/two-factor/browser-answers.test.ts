import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import type { Feature } from "../../core/feature.js";
import {
  createTfApp,
  enrolAuthenticator,
  oath,
  PASSWORD,
  signInWithCode,
  toStepStart,
  type TfApp,
} from "./testing/kit.js";

/**
 * Browsers posting the two-factor forms get a page or a redirect in every branch, never the JSON envelope: the
 * attempt budget spent, an app's sign-in check that interrupts once the second factor is proved, an unknown
 * rescue choice. API callers keep their JSON answers.
 */
const EXTRA_STEP = "extra.step-1+tf@Sub.Example.test";
let extraStepOn = false;

/** An app check that asks one user for one more step after the second factor (e.g. accepting new terms). */
const extraStep: Feature = {
  name: "extra-step",
  signInChecks: () => [
    {
      name: "extra-step",
      async run(_ctx, attempt) {
        const wanted =
          extraStepOn &&
          attempt.secondFactor !== undefined &&
          attempt.user.email.toLowerCase() === EXTRA_STEP.toLowerCase();
        return wanted ? { kind: "interrupt", response: { terms_required: true } } : { kind: "continue" };
      },
    },
  ],
};

function assertPage(r: Reply, label: string): void {
  assert.match(r.headers.get("content-type") ?? "", /text\/html/, `${label}: ${r.status} ${r.body.slice(0, 200)}`);
}

/** A password login by form post that stops at the second factor; the CSRF token of the code page. */
async function formLoginPending(t: TfApp, email: string): Promise<{ c: TestClient; csrf: string }> {
  const c = t.app.client();
  const login = await c.post("/login", { form: { email, password: PASSWORD, csrf_token: await c.csrf() } });
  assert.equal(login.status, 302, login.body);
  assert.match(login.location ?? "", /\/tf-validate$/);
  const page = await c.get("/tf-validate");
  return { c, csrf: /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]! };
}

for (const dialect of flowDialects()) {
  describe(`two-factor forms answer browsers with pages (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    before(async () => {
      t = await createTfApp(dialect, { recoveryCodes: true }, false, { freshness: { withinSeconds: 600 } }, [
        extraStep,
      ]);
      for (const email of ["Budget.Page-1@x.test", "rescue.page+1@x.test", EXTRA_STEP])
        secrets.set(email, await enrolAuthenticator(t, email));
    });
    after(() => t.app.close());

    it("/tf-validate and /mf-recovery with the attempt budget spent: a 429 page for browsers, 429 JSON for API callers", async () => {
      toStepStart(t);
      const email = "Budget.Page-1@x.test";
      const { c, csrf } = await formLoginPending(t, email);
      const wrong = oath(t, secrets.get(email)!) === "000000" ? "111111" : "000000";
      for (let i = 0; i < 5; i++)
        assert.equal((await c.post("/tf-validate", { form: { code: wrong, csrf_token: csrf } })).status, 200);
      const validate = await c.post("/tf-validate", { form: { code: wrong, csrf_token: csrf } });
      assert.equal(validate.status, 429);
      assertPage(validate, "/tf-validate");
      const recovery = await c.post("/mf-recovery", { form: { code: "0000-0000-0000-0000", csrf_token: csrf } });
      assert.equal(recovery.status, 429);
      assertPage(recovery, "/mf-recovery");
      const json = await c.post("/tf-validate", { json: { code: wrong }, headers: { "x-csrf-token": csrf } });
      assert.equal(json.status, 429);
      assert.deepEqual(json.json.response.error_codes, ["TWO_FACTOR_TOO_MANY_ATTEMPTS"]);
    });

    it("an app check interrupting after the second factor: browsers are redirected, API callers get its payload; nobody is signed in", async () => {
      toStepStart(t);
      const secret = secrets.get(EXTRA_STEP)!;
      extraStepOn = true;
      try {
        const { c, csrf } = await formLoginPending(t, EXTRA_STEP);
        const r = await c.post("/tf-validate", { form: { code: oath(t, secret), csrf_token: csrf } });
        assert.equal(r.status, 302, r.body);
        assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);

        t.advance(30);
        const api = t.app.client();
        const login = await api.login(EXTRA_STEP, PASSWORD);
        const j = await api.post("/tf-validate", {
          json: { code: oath(t, secret) },
          headers: { "x-csrf-token": login.json.response.csrf_token },
        });
        assert.equal(j.status, 200, j.body);
        assert.equal(j.json.response.terms_required, true);
        assert.equal(j.json.response.user, undefined);
        assert.equal(j.json.response.redirect, undefined, "API callers get the payload only");
      } finally {
        extraStepOn = false;
      }
    });

    it("/mf-recovery with a recovery code and an app check interrupting: browsers are redirected; nobody is signed in", async () => {
      const secret = secrets.get(EXTRA_STEP)!;
      t.advance(30);
      const { c: signedIn, csrf: signedCsrf } = await signInWithCode(t, EXTRA_STEP, secret);
      const generated = await signedIn.post("/mf-recovery-codes", {
        json: {},
        headers: { "x-csrf-token": signedCsrf },
      });
      assert.equal(generated.status, 200, generated.body);
      const codes = generated.json.response.recovery_codes as string[];
      extraStepOn = true;
      try {
        const { c, csrf } = await formLoginPending(t, EXTRA_STEP);
        const r = await c.post("/mf-recovery", { form: { code: codes[0]!, csrf_token: csrf } });
        assert.equal(r.status, 302, r.body);
        assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      } finally {
        extraStepOn = false;
      }
    });

    it("/tf-rescue with a choice it does not offer: the rescue page with the message for browsers, 400 JSON for API callers", async () => {
      toStepStart(t);
      const { c, csrf } = await formLoginPending(t, "rescue.page+1@x.test");
      const r = await c.post("/tf-rescue", { form: { help_setup: "pigeon", csrf_token: csrf } });
      assert.equal(r.status, 200, r.body);
      assertPage(r, "/tf-rescue");
      assert.match(r.body, /Marked method is not valid/);
      assert.match(r.body, /id="tf-rescue-help"/);
      const j = await c.post("/tf-rescue", { json: { help_setup: "pigeon" }, headers: { "x-csrf-token": csrf } });
      assert.equal(j.status, 400);
      assert.deepEqual(j.json.response.field_errors, { help_setup: ["Marked method is not valid"] });
    });
  });
}
