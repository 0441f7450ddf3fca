import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { documentValidator, recording, type Recorded } from "../../../test/helpers/openapi.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { demoApp } from "../../server/demo-app.js";
import { finishSignup, signUp, signupApp, startSignup } from "./testing/signup-kit.js";

/** /openapi.json documents the passkey sign-up routes as they answer: every JSON answer below matches it. */
describe("passkey sign-up in /openapi.json", () => {
  const apps: TestApp[] = [];
  after(() => Promise.all(apps.map((a) => a.close())));
  let app: TestApp;
  before(async () => {
    app = await signupApp("sqlite", { confirmation: false });
    apps.push(app);
  });

  it("form, start, finish (signed in, pending confirmation, taken) and refusals match their documented schemas", async () => {
    const seen: Recorded[] = [];
    const client = () => new TestClient(recording(demoApp(app.rampart), seen));
    const c = client();
    const doc = JSON.parse((await c.get("/openapi.json")).body);
    assert.equal((await new Validator().validate(structuredClone(doc))).valid, true);
    for (const path of ["/wan-signup", "/wan-signup/{state}"]) assert.ok(doc.paths[path], `${path} is documented`);

    assert.equal((await startSignup(client(), { email: "bad" })).status, 400);
    const s = await startSignup(client(), { email: "x@example.test" });
    assert.equal((await finishSignup(client(), s.json.response.wan_state, "not json")).status, 400);
    assert.equal((await finishSignup(client(), "forged", {})).status, 400);
    const signedIn = await signUp(client(), new SoftAuthenticator({ origin: "https://app.test" }), {
      email: "Open.Api+signup@Sub.Example.test",
    });
    assert.equal(signedIn.finish.status, 200);
    const taken = await signUp(client(), new SoftAuthenticator({ origin: "https://app.test" }), {
      email: "open.api+signup@sub.example.test",
    });
    assert.equal(taken.finish.status, 200);

    const confirming = await signupApp("sqlite");
    apps.push(confirming);
    const cc = () => new TestClient(recording(demoApp(confirming.rampart), seen));
    const pending = await signUp(cc(), new SoftAuthenticator({ origin: "https://app.test" }), {
      email: "pending@example.test",
    });
    assert.equal(pending.finish.json.response.tf_required, undefined);

    const found = seen.filter((r) => r.path !== "/openapi.json").flatMap(documentValidator(doc));
    assert.deepEqual(found, []);
  });
});
