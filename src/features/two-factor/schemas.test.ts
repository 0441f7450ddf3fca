import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import type { Reply } from "../../../test/helpers/client.js";
import type { DeclaredRoute } from "../../core/define-route.js";
import {
  getRecoveryCodesRoute,
  getRecoveryRoute,
  postRecoveryCodesRoute,
  postRecoveryRoute,
} from "./recovery-codes.js";
import type { Feature } from "../../core/feature.js";
import { getRescueRoute, postRescueRoute } from "./rescue.js";
import { getSelectRoute, postSelectRoute } from "./select.js";
import { postSetupStateRoute } from "./setup-authenticated.js";
import { getSetupRoute, postSetupRoute } from "./setup.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";
import { getValidateRoute, postValidateRoute } from "./validate.js";

/**
 * The declared output of each two-factor route is true: live JSON success answers validate against it, with no
 * key it does not declare (where it is a closed object), in every flow the route serves.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });

function assertMatches(route: DeclaredRoute, r: Reply): void {
  assert.equal(r.status, 200, `${route.id}: ${r.body}`);
  const schema = z.toJSONSchema(route.output!, { io: "output" });
  const valid = ajv.validate(schema, r.json.response);
  assert.ok(valid, `${route.id}: ${ajv.errorsText(ajv.errors)} in ${JSON.stringify(r.json.response)}`);
}

describe("two-factor output schemas match live answers (sqlite)", () => {
  let t: TfApp;
  before(async () => {
    t = await createTfApp("sqlite", { recoveryCodes: true, rescueEmail: true }, false, {
      freshness: { withinSeconds: 600 },
    });
    await t.app.rampart.api.createUser({ email: "Schema.User-1+tf@Sub.Example.test", password: PASSWORD });
  });
  after(() => t.app.close());

  it("setup (signed in, change at /tf-validate, state token, disable), validate, rescue, recovery codes", async () => {
    const email = "Schema.User-1+tf@Sub.Example.test";
    const c = t.app.client();
    const login = await c.login(email, PASSWORD);
    const csrf = login.json.response.csrf_token as string;
    const h = { "x-csrf-token": csrf };
    assertMatches(getSetupRoute("/tf-setup"), await c.get("/tf-setup", { acceptJson: true }));
    const started = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: h });
    assertMatches(postSetupRoute("/tf-setup"), started);
    assertMatches(getValidateRoute("/tf-validate"), await c.get("/tf-validate", { acceptJson: true }));
    toStepStart(t);
    const secret = started.json.response.tf_authr_key as string;
    assertMatches(postValidateRoute("/tf-validate"), await validate(c, csrf, oath(t, secret)));

    // The state-token path, replacing the method (this session proved nothing: the current code comes along).
    t.advance(30);
    const again = await c.post("/tf-setup", { json: { setup: "authenticator", code: oath(t, secret) }, headers: h });
    assertMatches(postSetupRoute("/tf-setup"), again);
    t.advance(30);
    const next = again.json.response.tf_authr_key as string;
    assertMatches(
      postSetupStateRoute("/tf-setup/:token"),
      await c.post(`/tf-setup/${again.json.response.tf_state_token}`, { json: { code: oath(t, next) }, headers: h }),
    );

    // A pending sign-in: the code form with rescue options, the rescue choices, recovery codes.
    t.advance(30);
    const { c: pc, csrf: pcsrf } = await signInWithSecret(t, email, next);
    const codes = await pc.post("/mf-recovery-codes", { json: {}, headers: { "x-csrf-token": pcsrf } });
    assertMatches(postRecoveryCodesRoute("/mf-recovery-codes"), codes);
    assertMatches(
      getRecoveryCodesRoute("/mf-recovery-codes"),
      await pc.get("/mf-recovery-codes", { acceptJson: true }),
    );

    const p = t.app.client();
    const l = await loginPending(p, email, "ready");
    const pH = { "x-csrf-token": l.json.response.csrf_token as string };
    assertMatches(getValidateRoute("/tf-validate"), await p.get("/tf-validate", { acceptJson: true }));
    assertMatches(getRescueRoute("/tf-rescue"), await p.get("/tf-rescue", { acceptJson: true }));
    assertMatches(
      postRescueRoute("/tf-rescue"),
      await p.post("/tf-rescue", { json: { help_setup: "help" }, headers: pH }),
    );
    assertMatches(getRecoveryRoute("/mf-recovery"), await p.get("/mf-recovery", { acceptJson: true }));
    assertMatches(
      postRecoveryRoute("/mf-recovery"),
      await p.post("/mf-recovery", { json: { code: codes.json.response.recovery_codes[0] }, headers: pH }),
    );

    // Disable, signed in with the second factor proved.
    t.advance(30);
    const { c: dc, csrf: dcsrf } = await signInWithSecret(t, email, next);
    assertMatches(
      postSetupRoute("/tf-setup"),
      await dc.post("/tf-setup", { json: { setup: "disable" }, headers: { "x-csrf-token": dcsrf } }),
    );
  });

  it("setup during a required sign-in: the pending state's form, the started setup, the completed sign-in", async () => {
    const req = await createTfApp("sqlite", { required: true });
    try {
      await req.app.rampart.api.createUser({ email: "req.schema@x.test", password: PASSWORD });
      const c = req.app.client();
      const l = await loginPending(c, "req.schema@x.test", "setup_from_login");
      const csrf = l.json.response.csrf_token as string;
      assertMatches(getSetupRoute("/tf-setup"), await c.get("/tf-setup", { acceptJson: true }));
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assertMatches(postSetupRoute("/tf-setup"), s);
      assertMatches(getValidateRoute("/tf-validate"), await c.get("/tf-validate", { acceptJson: true }));
      toStepStart(req);
      assertMatches(
        postValidateRoute("/tf-validate"),
        await validate(c, csrf, oath(req, s.json.response.tf_authr_key), "?include_auth_token"),
      );
    } finally {
      await req.app.close();
    }
  });
});

/** A second factor offered by another feature (only its start matters here), set up once `keyed` is. */
let keyed = false;
const plugin: Feature = {
  name: "schema-plugin",
  provides: () => ({
    secondFactors: [{ name: "webauthn", isSetUp: () => keyed, begin: async () => ({ tf_signin_url: "/elsewhere" }) }],
  }),
};

describe("two-factor select output schemas match live answers (sqlite)", () => {
  it("a user with two factors: the choice form, then the chosen code method or the plugin's start", async () => {
    const t = await createTfApp("sqlite", {}, false, {}, [plugin]);
    try {
      await enrolAuthenticator(t, "two.factors@x.test");
      keyed = true;
      for (const which of ["authenticator", "webauthn"]) {
        const c = t.app.client();
        const l = await c.login("two.factors@x.test", PASSWORD);
        assert.equal(l.json.response.tf_select, true, l.body);
        assertMatches(getSelectRoute("/tf-select"), await c.get("/tf-select", { acceptJson: true }));
        const r = await c.post("/tf-select", {
          json: { which },
          headers: { "x-csrf-token": l.json.response.csrf_token },
        });
        assertMatches(postSelectRoute("/tf-select"), r);
      }
    } finally {
      await t.app.close();
    }
  });
});

async function signInWithSecret(t: TfApp, email: string, secret: string) {
  toStepStart(t);
  const c = t.app.client();
  const l = await loginPending(c, email, "ready");
  const ok = await validate(c, l.json.response.csrf_token, oath(t, secret));
  assert.equal(ok.status, 200, ok.body);
  return { c, csrf: ok.json.response.csrf_token as string };
}
