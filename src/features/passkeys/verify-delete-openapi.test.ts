import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { demoApp } from "../../server/demo-app.js";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { documentValidator, recording, type Recorded } from "../../../test/helpers/openapi.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { registerDirect } from "./testing/register-direct.js";

/**
 * The JSON answers of /wan-verify and /wan-delete — successes, refusals and the reauth 401 — match what
 * /openapi.json says of them.
 */
const PASSWORD = "correct horse battery";

describe("passkey verify and delete answers match /openapi.json", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      config: { webauthn: { enabled: true }, freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } },
    });
  });
  after(() => app.close());

  it("every answer is documented", async () => {
    const email = "O-pen.Api+wan@Sub.Example.test";
    await app.rampart.api.createUser({ email, password: PASSWORD });
    const auth = new SoftAuthenticator({ origin: "https://app.test" });
    await registerDirect(app.runtime, email, auth, { name: "Doc key", usage: "first" });
    await registerDirect(app.runtime, email, auth, { name: "Other key", usage: "first" });
    const seen: Recorded[] = [];
    const c = new TestClient(recording(demoApp(app.rampart), seen));
    await c.login(email, PASSWORD);
    const form = await c.get("/wan-verify", { acceptJson: true });
    const csrf = form.json.response.csrf_token;
    const h = { "x-csrf-token": csrf };
    const started = await c.post("/wan-verify", { json: {}, headers: h });
    const { credential_options: options, wan_state: state } = started.json.response;
    const answer = JSON.stringify(auth.get(options));
    const done = await c.post(`/wan-verify/${state}?include_auth_token`, { json: { credential: answer }, headers: h });
    assert.equal(done.status, 200, done.body);
    // The session was renewed: so is its CSRF token.
    const h2 = { "x-csrf-token": done.json.response.csrf_token };
    assert.equal((await c.post(`/wan-verify/${state}`, { json: { credential: answer }, headers: h2 })).status, 400);
    assert.equal((await c.get("/wan-delete", { acceptJson: true })).status, 200);
    assert.equal((await c.post("/wan-delete", { json: { name: "Nope" }, headers: h2 })).status, 400);
    assert.equal((await c.post("/wan-delete", { json: { name: "Doc key" }, headers: h2 })).status, 200);
    app.advance(601);
    assert.equal((await c.post("/wan-delete", { json: { name: "Other key" }, headers: h2 })).status, 401);
    app.advance(-601);

    const doc = JSON.parse((await app.client().get("/openapi.json")).body);
    const problems = documentValidator(doc);
    const wan = seen.filter((r) => r.path.startsWith("/wan-"));
    assert.ok(wan.length >= 8, `recorded ${wan.length}`);
    assert.deepEqual(wan.flatMap(problems), []);
  });
});
