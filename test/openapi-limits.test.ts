import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "./helpers/app.js";
import { TestClient, type Reply } from "./helpers/client.js";
import { documentValidator, recording, type Recorded } from "./helpers/openapi.js";
import { demoApp } from "../src/server/demo-app.js";

/**
 * /openapi.json tells a client which endpoints can answer 429 (a rate limit or the account's lockout) and 503
 * (a dependency unavailable), each with the Retry-After header to wait for, and live 429 answers match it.
 */
const PASSWORD = "correct horse battery";
const FEATURES = {
  returnGenericResponses: false,
  registration: { enabled: true },
  recovery: { enabled: true },
  confirmation: { enabled: true, loginWithoutConfirmation: true },
  changePassword: { enabled: true },
  changeEmail: { enable: true },
  username: { enable: true },
  usernameFeatures: { recovery: true },
  unifiedSignin: { enabled: true, enabledMethods: ["password", "email"] },
  twoFactor: { enabled: true, enabledMethods: ["email", "authenticator"], recoveryCodes: true },
  totp: { secrets: { "1": "k".repeat(40) }, issuer: "Limits Test" },
};

/** The routes that check a credential or send a mail or a code (so a limit can refuse them). */
const LIMITED = [
  "post /login",
  "post /verify",
  "post /change",
  "post /reset",
  "post /register",
  "post /confirm",
  "post /change-email",
  "post /recover-username",
  "post /us-signin",
  "post /us-signin/send-code",
  "post /us-verify",
  "post /us-verify/send-code",
  "get /us-verify-link",
  "post /us-setup",
  "post /tf-setup",
  "post /tf-validate",
  "post /mf-recovery",
  "post /mf-recovery-codes",
  "post /tf-rescue",
];

type Op = { responses: Record<string, { headers?: Record<string, { schema?: unknown }>; content?: unknown }> };

function operations(doc: any): [string, Op][] {
  return Object.entries<Record<string, Op>>(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [`${method} ${path}`, op] as [string, Op]),
  );
}

function assertRetryAfter(op: Op, status: string, where: string) {
  const answer = op.responses[status];
  assert.ok(answer, `${where} documents ${status}`);
  assert.ok(answer.headers?.["Retry-After"]?.schema, `${where} ${status} documents the Retry-After header`);
  const schema = (answer.content as any)?.["application/json"]?.schema;
  assert.equal(schema?.properties?.response?.$ref, "#/components/schemas/Error", `${where} ${status}: error envelope`);
}

async function documentOf(app: TestApp): Promise<any> {
  const r = await app.client().get("/openapi.json");
  assert.equal(r.status, 200);
  return JSON.parse(r.body);
}

for (const dialect of flowDialects()) {
  describe(`429 and 503 in the OpenAPI document (${dialect})`, () => {
    let app: TestApp;
    let doc: any;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: { ...FEATURES, rateLimit: { sendsPerDestination: 2 }, lockout: { threshold: 2 } } as never,
      });
      await app.rampart.api.createUser({ email: "Lim-Its.Doc+429@Mail.Sub.Example.test", password: PASSWORD });
      doc = await documentOf(app);
    });
    after(() => app.close());

    it("every endpoint documents 503 with Retry-After", () => {
      const ops = operations(doc);
      assert.ok(ops.length > 30, `${ops.length} operations`);
      for (const [where, op] of ops) assertRetryAfter(op, "503", where);
    });

    it("the endpoints that check a credential or send mail document 429 with Retry-After; the others do not", () => {
      const ops = new Map(operations(doc));
      for (const where of LIMITED) {
        const op = ops.get(where);
        assert.ok(op, `${where} is mounted`);
        assertRetryAfter(op, "429", where);
      }
      for (const where of ["get /openapi.json", "get /login", "post /logout", "get /tf-setup", "get /us-setup"])
        assert.equal(ops.get(where)?.responses["429"], undefined, `${where} cannot be rate limited`);
    });

    it("live 429 answers (a send limit, the lockout) match the document and carry Retry-After", async () => {
      const seen: Recorded[] = [];
      const c = new TestClient(recording(demoApp(app.rampart), seen));
      const post = async (path: string, json: Record<string, unknown>): Promise<Reply> =>
        c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
      const victim = "lim-its.doc+429@mail.sub.example.test";
      const resets = [];
      for (let i = 0; i < 3; i++) resets.push(await post("/reset", { email: victim }));
      assert.deepEqual(
        resets.map((r) => r.status),
        [200, 200, 429],
      );
      const logins = [];
      for (let i = 0; i < 3; i++) logins.push(await post("/login", { email: victim, password: "wrong one" }));
      assert.deepEqual(
        logins.map((r) => r.status),
        [400, 400, 429],
      );
      for (const r of [resets[2]!, logins[2]!]) assert.ok(Number(r.headers.get("retry-after")) > 0, r.body);
      const problems = documentValidator(doc);
      assert.deepEqual(seen.flatMap(problems), []);
      assert.ok(seen.some((r) => r.status === 429 && r.path === "/reset"));
      assert.ok(seen.some((r) => r.status === 429 && r.path === "/login"));
    });
  });
}

describe("429 in the OpenAPI document with HTTP Basic allowed", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ config: { ...FEATURES, apiEnabledMethods: ["session", "token", "basic"] } as never });
  });
  after(() => app.close());

  it("every endpoint a Basic header can reach documents 429 (the password is checked on every request)", async () => {
    for (const [where, op] of operations(await documentOf(app))) assertRetryAfter(op, "429", where);
  });
});
