import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { demoApp } from "../src/server/demo-app.js";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { TestClient } from "./helpers/client.js";
import { documentValidator, recording, type Recorded } from "./helpers/openapi.js";
import { cliOk } from "./cli/helpers.js";
import { generateStoredKey } from "../src/core/tokens/keys.js";

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
        const answer = op.responses["200"].content["application/json"].schema;
        // This document is served bare (no envelope), as it is described.
        if (path === "/openapi.json") assert.ok(answer.properties.openapi && !answer.properties.meta);
        else assert.ok(answer.properties.response, `${method} ${path} documents its answer`);
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
      }
    }
    for (const path of ["/login", "/logout", "/verify", "/openapi.json"])
      assert.ok(doc.paths[path], `${path} is documented`);
    assert.ok(doc.paths["/login"].post.requestBody.content["application/json"].schema.properties.password);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["basic", "bearer", "session", "token"]);
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
    // The token's expiry is in the answer and in the document's User schema.
    assert.ok(signedIn.json.response.user.authentication_token_expires_at, signedIn.body);
    const userSchema = (doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>).User;
    assert.ok(
      userSchema?.properties?.authentication_token_expires_at,
      "User documents authentication_token_expires_at",
    );
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

  it("a token may come in its header or as Bearer: both schemes are offered wherever tokens are accepted", () => {
    assert.deepEqual(doc.components.securitySchemes.bearer, {
      type: "http",
      scheme: "bearer",
      description: doc.components.securitySchemes.bearer.description,
    });
    assert.equal(doc.components.securitySchemes.token.in, "header");
    assert.equal(doc.components.securitySchemes.token.name, "Authentication-Token");
    const security = doc.paths["/verify"].post.security as Record<string, unknown>[];
    const names = security.map((s) => Object.keys(s)[0]);
    assert.deepEqual(names, ["session", "token", "bearer"]);
  });

  it("documents GET and POST /token (when on) and every answer of the token endpoint matches it", async () => {
    const tokens = await createTestApp({ config: { tokenEndpoint: { enable: true } } });
    try {
      const email = "to-ken.doc+api@Sub.Example.test";
      await tokens.rampart.api.createUser({ email, password: PASSWORD });
      const seen: Recorded[] = [];
      const c = new TestClient(recording(demoApp(tokens.rampart), seen));
      const document = JSON.parse((await c.get("/openapi.json")).body);
      assert.equal((await new Validator().validate(structuredClone(document))).valid, true);
      const { get, post } = document.paths["/token"];
      assert.ok(get && post, "both methods are documented");
      for (const op of [get, post]) {
        const answer = op.responses["200"].content["application/json"].schema.properties.response;
        assert.deepEqual(answer.required.sort(), ["authentication_token", "expires_at", "expires_in", "token_type"]);
        assert.ok(op.security.some((s: Record<string, unknown>) => "bearer" in s));
        assert.ok(op.responses["401"]);
      }
      assert.ok(get.responses["405"], "GET documents the 405 a cookie session gets");
      const login = await c.login(email, PASSWORD, {}, "?include_auth_token");
      const token = login.json.response.user.authentication_token as string;
      const csrf = login.json.response.csrf_token as string;
      assert.equal((await c.get("/token", { acceptJson: true })).status, 405);
      assert.equal((await c.post("/token", { json: {}, headers: { "x-csrf-token": csrf } })).status, 200);
      const bare = new TestClient(recording(demoApp(tokens.rampart), seen));
      assert.equal(
        (await bare.get("/token", { acceptJson: true, headers: { "authentication-token": token } })).status,
        200,
      );
      assert.equal((await bare.get("/token", { acceptJson: true })).status, 401);
      const checked = seen.filter((r) => r.path === "/token");
      assert.deepEqual(
        checked.map((r) => r.status),
        [405, 200, 200, 401],
      );
      assert.deepEqual(checked.flatMap(documentValidator(document)), []);
    } finally {
      await tokens.close();
    }
  });

  it("documents the JWKS as the bare JWK set it sends, and /refresh-token; their live answers (and its own) match", async () => {
    const now = new Date();
    const keys = { keys: [generateStoredKey("EdDSA", "active", now), generateStoredKey("EdDSA", "next", now)] };
    const jwt = await createTestApp({
      config: {
        token: { format: "jwt", jwt: { issuer: "https://app.test", audience: ["orders-api"], keys } },
        refreshTokens: { enabled: true, cookieName: null },
      },
    });
    try {
      const email = "Re-fresh.Doc+jwks@Sub.Example.test";
      await jwt.rampart.api.createUser({ email, password: PASSWORD });
      const seen: Recorded[] = [];
      const c = new TestClient(recording(demoApp(jwt.rampart), seen));
      const document = JSON.parse((await c.get("/openapi.json")).body);
      assert.equal((await new Validator().validate(structuredClone(document))).valid, true);
      const jwksOk = document.paths["/.well-known/jwks.json"].get.responses["200"].content;
      assert.deepEqual(Object.keys(jwksOk), ["application/jwk-set+json"], "the JWK set's own media type");
      assert.ok(jwksOk["application/jwk-set+json"].schema.properties.keys, "a bare set: keys at the top");
      assert.ok(!jwksOk["application/jwk-set+json"].schema.properties.meta, "no envelope");
      const set = await c.get("/.well-known/jwks.json");
      assert.equal(set.status, 200);
      assert.equal(set.headers.get("content-type"), "application/jwk-set+json");

      const login = await c.login(email, PASSWORD, {}, "?include_auth_token");
      const refresh = login.json.response.user.refresh_token as string;
      assert.equal((await c.post("/refresh-token", { json: { refresh_token: refresh } })).status, 200);
      // An older generation (reuse) and a forgery: both are 400 answers the document describes.
      assert.equal((await c.post("/refresh-token", { json: { refresh_token: refresh } })).status, 400);
      assert.equal((await c.post("/refresh-token", { json: { refresh_token: "not.a.token" } })).status, 400);
      const checked = seen.map((r) => `${r.path} ${r.status}`);
      for (const answer of [
        "/openapi.json 200",
        "/.well-known/jwks.json 200",
        "/refresh-token 200",
        "/refresh-token 400",
      ])
        assert.ok(checked.includes(answer), `${answer} was checked`);
      assert.deepEqual(seen.flatMap(documentValidator(document)), []);
    } finally {
      await jwt.close();
    }
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
