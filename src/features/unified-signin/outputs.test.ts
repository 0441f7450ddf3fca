import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import type { DeclaredRoute } from "../../core/define-route.js";
import type { Reply } from "../../../test/helpers/client.js";
import { unifiedSigninFeature } from "./index.js";
import { createUsApp, oath, post, signedIn, toStepStart, usMail, type UsApp } from "./testing/kit.js";

/**
 * Each route's declared `output` is what it answers: every JSON success of the unified sign-in endpoints,
 * reached live, validates against its route's schema as a JSON Schema (no undeclared key, no missing one).
 */
describe("unified sign-in answers match their declared output schemas", () => {
  let t: UsApp;
  let check: (id: string, r: Reply) => void;
  before(async () => {
    t = await createUsApp("sqlite", { sendLimit: 50 }, { freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } });
    const routes = unifiedSigninFeature.routes!(t.app.runtime) as DeclaredRoute[];
    const ajv = new Ajv2020({ strict: false });
    check = (id, r) => {
      assert.equal(r.status, 200, `${id}: ${r.body}`);
      const route = routes.find((x) => x.id === id);
      assert.ok(route?.output, `${id} declares an output`);
      const validate = ajv.compile(z.toJSONSchema(route.output, { unrepresentable: "any" }) as object);
      assert.ok(validate(r.json.response), `${id}: ${JSON.stringify(validate.errors)} in ${r.body}`);
    };
  });
  after(() => t.app.close());

  it("sign-in, send-code, magic link, setup (add, validate, remove), verify and its send-code", async () => {
    const email = "Out.Put-1+us@Sub.X.test".toLowerCase();
    check("us-signin.form", await t.app.client().get("/us-signin", { acceptJson: true }));
    const c = await signedIn(t, email);
    check("us-signin.form", await c.get("/us-signin", { acceptJson: true }));
    check("us-setup.form", await c.get("/us-setup", { acceptJson: true }));

    const started = await post(c, "/us-setup", { chosen_method: "email" });
    check("us-setup", started);
    const { code } = await usMail(t, email);
    check("us-setup.validate", await post(c, `/us-setup/${started.json.response.state}`, { passcode: code }));
    toStepStart(t);
    const authr = await post(c, "/us-setup", { chosen_method: "authenticator" });
    check("us-setup", authr);
    check(
      "us-setup.validate",
      await post(c, `/us-setup/${authr.json.response.state}`, { passcode: oath(t, authr.json.response.authr_key) }),
    );
    check("us-setup", await post(c, "/us-setup", { delete_method: "authenticator" }));

    check("us-verify.form", await c.get("/us-verify", { acceptJson: true }));
    check("us-verify.send-code", await post(c, "/us-verify/send-code", { chosen_method: "email" }));
    const reauth = await usMail(t, email);
    check("us-verify", await post(c, "/us-verify", { passcode: reauth.code }));
    check("us-verify", await post(c, "/us-verify?include_auth_token", { passcode: "correct horse battery" }));

    check(
      "us-signin.send-code",
      await post(t.app.client(), "/us-signin/send-code", { identity: email, chosen_method: "email" }),
    );
    const { link } = await usMail(t, email);
    const params = Object.fromEntries(new URL(link!).searchParams);
    check(
      "us-verify-link.landing",
      await t.app
        .client()
        .get(`/us-verify-link?id=${encodeURIComponent(params.id!)}&code=${params.code}`, { acceptJson: true }),
    );
    check("us-verify-link", await post(t.app.client(), "/us-verify-link", params));
    check(
      "us-signin",
      await post(t.app.client(), "/us-signin?include_auth_token", {
        identity: email,
        passcode: "correct horse battery",
        remember: true,
      }),
    );
  });
});
