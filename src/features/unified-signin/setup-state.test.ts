import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
import { secretBox } from "../../kit/passcodes/index.js";
import { generateTotpSecret } from "../../crypto/totp/index.js";
import { createUsApp, oath, post, signedIn, toStepStart, type UsApp } from "./testing/kit.js";

/**
 * The setup state is read through its codec only: a state signed by the previous version (same purpose, same
 * short names) still validates after an upgrade, and a well-signed state of the wrong shape is a clear 400.
 */
for (const dialect of flowDialects()) {
  describe(`us-setup state codec (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(dialect);
    });
    after(() => t.app.close());

    const sign = (payload: Record<string, unknown>) =>
      t.app.runtime.signer.sign("us-setup-state", payload, Math.floor(t.app.runtime.now().getTime() / 1000));

    it("a state handed out keeps the wire names; one signed by the previous version still sets up the method", async () => {
      const email = "Old.State+1@Sub.X.test";
      const c = await signedIn(t, email);
      const s = await post(c, "/us-setup", { chosen_method: "authenticator" });
      assert.equal(s.status, 200, s.body);
      const wire = JSON.parse(Buffer.from(s.json.response.state.split(".")[0], "base64url").toString("utf8"));
      for (const key of ["u", "m", "t", "p", "n", "f"]) assert.ok(key in wire, `${key} in ${JSON.stringify(wire)}`);

      const user = (await t.app.rampart.api.findUser(email))!;
      const secret = generateTotpSecret();
      const old = sign({
        u: user.fsUniquifier,
        m: "authenticator",
        t: secretBox(t.app.runtime).seal(secret),
        p: null,
        n: 4242,
        f: null,
      });
      toStepStart(t);
      const done = await post(c, `/us-setup/${old}`, { passcode: oath(t, secret) });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.chosen_method, "authenticator");
    });

    it("a well-signed state of the wrong shape, or someone else's, is API_ERROR (400), never a 500", async () => {
      const email = "shape-check@x.test";
      const c = await signedIn(t, email);
      const user = (await t.app.rampart.api.findUser(email))!;
      const sealed = secretBox(t.app.runtime).seal(generateTotpSecret());
      const good = { u: user.fsUniquifier, m: "email", t: sealed, p: null, n: 7, f: null };
      for (const bad of [
        { ...good, n: "7" },
        { ...good, n: -1 },
        { ...good, u: 42 },
        { ...good, t: "" },
        { ...good, p: 5 },
        { ...good, f: undefined },
        { ...good, u: "someone-else" },
        { ...good, m: "password" },
      ]) {
        const r = await post(c, `/us-setup/${sign(bad)}`, { passcode: "123456" });
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.body}`);
        assert.deepEqual(r.json.response.error_codes, ["API_ERROR"], JSON.stringify(bad));
      }
    });
  });
}
