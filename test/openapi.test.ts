import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { demoApp } from "../src/server/demo-app.js";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { TestClient } from "./helpers/client.js";
import { documentValidator, recording, type Recorded } from "./helpers/openapi.js";
import { cliOk } from "./cli/helpers.js";

/**
 * /openapi.json is generated from the route table: it must be a valid OpenAPI 3.1 document, list every mounted
 * endpoint, and describe what the endpoints really answer — every JSON answer of the flows below is validated
 * against the schema the document gives for its path, method and status.
 */
const PASSWORD = "correct horse battery";

describe("the OpenAPI document", () => {
  let app: TestApp;
  let doc: any;
  before(async () => {
    app = await createTestApp({ config: { returnGenericResponses: false } });
    await app.rampart.api.createUser({ email: "o-pen.api+doc@Sub.Example.test", password: PASSWORD });
    const r = await app.client().get("/openapi.json");
    assert.equal(r.status, 200);
    doc = JSON.parse(r.body);
  });
  after(() => app.close());

  it("is valid OpenAPI 3.1 and names every endpoint with an id and a summary", async () => {
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    assert.equal(doc.openapi, "3.1.0");
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        assert.ok(op.summary, `${method} ${path} has a summary`);
        assert.ok(
          op.responses["200"].content["application/json"].schema.properties.response,
          `${method} ${path} documents its answer`,
        );
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
      }
    }
    for (const path of ["/login", "/logout", "/verify", "/openapi.json"])
      assert.ok(doc.paths[path], `${path} is documented`);
    assert.ok(doc.paths["/login"].post.requestBody.content["application/json"].schema.properties.password);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["basic", "session", "token"]);
  });

  it("every JSON answer of the sign-in flows matches its documented schema", async () => {
    const seen: Recorded[] = [];
    const c = new TestClient(recording(demoApp(app.rampart), seen));
    const email = "o-pen.api+doc@Sub.Example.test";
    await c.get("/login", { acceptJson: true });
    await c.post("/login", { json: { email, password: "wrong one" }, headers: { "x-csrf-token": await c.csrf() } });
    await c.post("/login", {
      json: { email: "not an address", password: "" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    await c.post("/login", {
      json: { email: ["a list"], password: PASSWORD },
      headers: { "x-csrf-token": await c.csrf() },
    });
    await c.post("/login", { json: { email, password: PASSWORD } });
    const signedIn = await c.post("/login?include_auth_token", {
      json: { email, password: PASSWORD },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(signedIn.status, 200, signedIn.body);
    await c.get("/login", { acceptJson: true });
    await c.get("/verify", { acceptJson: true });
    await c.post("/verify", { json: { password: "wrong one" }, headers: { "x-csrf-token": await c.csrf() } });
    await c.post("/verify", { json: { password: PASSWORD }, headers: { "x-csrf-token": await c.csrf() } });
    await c.get("/logout", { acceptJson: true });
    await c.post("/logout", { json: {}, headers: { "x-csrf-token": await c.csrf() } });
    await c.get("/verify", { acceptJson: true });
    const problems = documentValidator(doc);
    const found = seen.filter((r) => r.path !== "/openapi.json").flatMap(problems);
    assert.deepEqual(found, []);
    const statuses = new Set(seen.map((r) => r.status));
    for (const s of [200, 400, 401]) assert.ok(statuses.has(s), `a ${s} answer was checked`);
  });

  it("`rampart openapi` prints the same kind of document for the environment's configuration", async () => {
    const out = await cliOk(["openapi"], {
      SECURITY_REGISTERABLE: "true",
      SECURITY_URL_PREFIX: "/auth",
      RAMPART_BASE_URL: "https://app.example",
    });
    const printed = JSON.parse(out);
    assert.equal((await new Validator().validate(printed)).valid, true);
    assert.ok(printed.paths["/auth/register"], "the registration endpoint is documented under the prefix");
    assert.ok(printed.paths["/auth/login"]);
  });
});
