import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { documentValidator, recording, type Recorded } from "../../../test/helpers/openapi.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { demoApp } from "../../server/demo-app.js";
import { PASSWORD, post, register } from "./testing/register-kit.js";

/** Every JSON answer of the registration endpoints — successes and errors — matches what /openapi.json says of it. */
describe("passkey registration in the OpenAPI document", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ config: { webauthn: { enabled: true } } });
  });
  after(() => app.close());

  it("documents /wan-register and /wan-register/{state}, and the live answers match", async () => {
    const doc = JSON.parse((await app.client().get("/openapi.json")).body);
    assert.ok(doc.paths["/wan-register"].get && doc.paths["/wan-register"].post);
    assert.ok(doc.paths["/wan-register/{state}"].post);

    const seen: Recorded[] = [];
    const c = new TestClient(recording(demoApp(app.rampart), seen));
    const email = "o-pen.api+wan@Sub.Example.test";
    await app.rampart.api.createUser({ email, password: PASSWORD });
    await c.get("/wan-register", { acceptJson: true });
    assert.equal((await c.login(email, PASSWORD)).status, 200);
    await c.get("/wan-register", { acceptJson: true });
    const auth = new SoftAuthenticator({ origin: "https://app.test" });
    assert.equal((await register(c, auth, "Doc key", "first")).status, 200);
    await c.get("/wan-register", { acceptJson: true });
    await post(c, "/wan-register", { name: "" });
    await post(c, "/wan-register", { name: "x".repeat(65) });
    await post(c, "/wan-register", { name: "Doc key" });
    await post(c, "/wan-register/bogus", { credential: "{}" });
    await post(c, "/wan-register/bogus", { credential: 5 });
    const problems = documentValidator(doc);
    assert.deepEqual(seen.filter((r) => r.path.startsWith("/wan-register")).flatMap(problems), []);
    const statuses = new Set(seen.filter((r) => r.path.startsWith("/wan-register")).map((r) => r.status));
    assert.deepEqual([...statuses].sort(), [200, 400, 401]);
  });
});
