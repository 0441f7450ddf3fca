import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { documentValidator, recording, type Recorded } from "../../../test/helpers/openapi.js";
import { demoApp } from "../../server/demo-app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { enrolPasskey } from "./testing/enrol.js";
import { createWanApp, finishSignin, ORIGIN, PASSWORD, startSignin, userWithPasskey } from "./testing/signin-kit.js";

/** /openapi.json documents the passkey sign-in routes as they answer: every JSON answer below matches it. */
describe("passkey sign-in in the OpenAPI document", () => {
  let app: TestApp;
  before(async () => {
    app = await createWanApp("sqlite", {}, { twoFactor: { enabled: true }, returnGenericResponses: false });
  });
  after(() => app.close());

  it("start, finish, refusals and the second-factor step match their documented schemas", async () => {
    const seen: Recorded[] = [];
    const c = new TestClient(recording(demoApp(app.rampart), seen));
    const doc = JSON.parse((await c.get("/openapi.json")).body);
    assert.equal((await new Validator().validate(structuredClone(doc))).valid, true);
    for (const path of ["/wan-signin", "/wan-signin/{state}"]) assert.ok(doc.paths[path], `${path} is documented`);

    const { auth } = await userWithPasskey(app, "Open.Api+passkey@Sub.Example.test");
    await c.get("/wan-signin", { acceptJson: true });
    const s1 = await startSignin(c, { identity: "open.api+passkey@sub.example.test", remember: true });
    assert.equal((await finishSignin(c, s1.state, s1.csrf, "not json")).status, 400);
    const s2 = await startSignin(c);
    assert.equal((await finishSignin(c, s2.state, s2.csrf, auth.get(s2.options), "?include_auth_token")).status, 200);

    // A pending sign-in's passkey step: tf_required from a passkey without user verification, then the second key.
    const user = await app.rampart.api.createUser({ email: "two.keys@example.test", password: PASSWORD });
    const first = new SoftAuthenticator({ origin: ORIGIN });
    const second = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskey(app, user, first, { name: "one", usage: "first" });
    await enrolPasskey(app, (await app.runtime.datastore.users.findById(user.id))!, second, {
      name: "two",
      usage: "secondary",
    });
    const d = new TestClient(recording(demoApp(app.rampart), seen));
    const s3 = await startSignin(d);
    const pending = await finishSignin(d, s3.state, s3.csrf, first.get(s3.options, { uv: false }));
    assert.equal(pending.json.response.tf_required, true, pending.body);
    await d.get("/wan-signin", { acceptJson: true });
    const s4 = await startSignin(d);
    assert.equal((await finishSignin(d, s4.state, s4.csrf, second.get(s4.options))).status, 200);

    const statuses = new Set(seen.map((r) => r.status));
    for (const s of [200, 400]) assert.ok(statuses.has(s), `a ${s} answer was checked`);
    const found = seen.filter((r) => r.path !== "/openapi.json").flatMap(documentValidator(doc));
    assert.deepEqual(found, []);
  });
});
