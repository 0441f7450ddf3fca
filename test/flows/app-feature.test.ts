import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { demoApp } from "../../src/server/demo-app.js";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { againstSources, fencedBlocks } from "../helpers/docs-code.js";
import { documentValidator, recording, type Recorded } from "../helpers/openapi.js";

/**
 * An app-written feature (the terms-of-service example of docs/features/writing-a-feature.md, run from the page
 * itself) goes through the built-ins' machinery: its routes are documented in /openapi.json and answer what the
 * document says, CSRF and the auth levels are enforced, input errors come back in the contract's shape, and its
 * sign-in check stops every way of signing in until the terms are accepted.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PASSWORD = "terms-Accepted horse battery 42";
const VERSION = "2025-06";
const csrfFrom = (page: string) => /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;

interface TermsStore {
  accepted(userId: number): Promise<string | null>;
  accept(userId: number, version: string): Promise<void>;
}
interface Example {
  termsFeature(store: TermsStore): { name: string };
  memoryTermsStore(): TermsStore;
}

const scratch = mkdtempSync(join(ROOT, ".app-feature-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The guide's example block, rewritten to import the sources, as a module. */
async function loadExample(): Promise<Example> {
  const page = readFileSync(join(ROOT, "docs/features/writing-a-feature.md"), "utf8");
  const block = fencedBlocks(page, "ts").find((b) => b.includes("defineFeature("));
  assert.ok(block, "the guide has the example");
  const file = join(scratch, "terms.ts");
  writeFileSync(file, againstSources(block, relative(scratch, join(ROOT, "src"))));
  return (await import(pathToFileURL(file).href)) as Example;
}

for (const dialect of flowDialects()) {
  describe(`an app's own feature (the guide's terms of service) [${dialect}]`, () => {
    let app: TestApp;
    let store: TermsStore;
    const seen: Recorded[] = [];
    const client = () => new TestClient(recording(demoApp(app.rampart), seen));
    before(async () => {
      const example = await loadExample();
      store = example.memoryTermsStore();
      app = await createTestApp({
        dialect,
        config: {
          terms: { version: VERSION },
          registration: { enabled: true },
          unifiedSignin: { enabled: true, enabledMethods: ["password", "email"] },
          totp: { secrets: { "1": "t".repeat(40) }, issuer: "Terms Test" },
        } as never,
        features: [example.termsFeature(store) as never],
      });
    });
    after(() => app.close());

    const user = (email: string) => app.rampart.api.createUser({ email, password: PASSWORD });

    it("password /login is stopped until the terms are accepted with the answered token; then it signs in", async () => {
      const email = "Te-rms+login@Sub.Example.test";
      const created = await user(email);
      const c = client();
      const stopped = await c.login(email, PASSWORD);
      assert.equal(stopped.status, 200, stopped.body);
      const next = stopped.json.response;
      assert.equal(next.terms_required, true);
      assert.equal(next.terms_version, VERSION);
      assert.equal(next.user, undefined, "nobody is signed in");
      assert.equal((await c.get("/terms/status", { acceptJson: true })).status, 401);

      const form = await c.get("/terms", { acceptJson: true });
      assert.deepEqual(Object.keys(form.json.response).sort(), ["csrf_token", "version"]);
      const accepted = await c.post("/terms", {
        json: { token: next.terms_token, version: VERSION },
        headers: { "x-csrf-token": form.json.response.csrf_token },
      });
      assert.equal(accepted.status, 200, accepted.body);
      assert.equal(accepted.json.response.accepted_version, VERSION);
      assert.equal(await store.accepted(created.id), VERSION);
      const audit = await app.rampart.api.auditEvents({ event: "terms_accepted" });
      assert.ok(audit.some((e) => e.userId === created.id && e.outcome === "success"));
      // The request carried the stopped sign-in: accepting completed it.
      assert.equal(accepted.json.response.user.email, email.replace("Sub.Example.test", "sub.example.test"));
      assert.equal((await c.get("/terms/status", { acceptJson: true })).status, 200);

      // A later sign-in (another client: this one is signed in now) goes through.
      const later = client();
      const signedIn = await later.login(email, PASSWORD);
      assert.equal(signedIn.status, 200, signedIn.body);
      assert.equal(signedIn.json.response.user.email, email.replace("Sub.Example.test", "sub.example.test"));
      const status = await later.get("/terms/status", { acceptJson: true });
      assert.equal(status.status, 200);
      assert.deepEqual(status.json.response, { version: VERSION, accepted_version: VERSION });
    });

    it("/us-signin and registration's automatic sign-in are stopped by the same check", async () => {
      const email = "us.terms-check@x.example.test";
      await user(email);
      const c = client();
      const viaUs = await c.post("/us-signin", {
        json: { identity: email, passcode: PASSWORD },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(viaUs.status, 200, viaUs.body);
      assert.equal(viaUs.json.response.terms_required, true);
      assert.equal((await c.get("/terms/status", { acceptJson: true })).status, 401);

      const r = client();
      const newcomer = "New.Comer+terms@Example.test";
      const registered = await r.post("/register", {
        json: { email: newcomer, password: PASSWORD, password_confirm: PASSWORD },
        headers: { "x-csrf-token": await r.csrf() },
      });
      assert.equal(registered.status, 200, registered.body);
      assert.equal(registered.json.response.terms_required, true);
      assert.ok(await app.rampart.api.findUser(newcomer), "the account stands");
      assert.equal((await r.get("/terms/status", { acceptJson: true })).status, 401);
    });

    it("JSON: CSRF is required, input errors come back in the contract's shape, never a 500", async () => {
      const email = "json-errors@terms.example.test";
      const created = await user(email);
      const c = client();
      const token = (await c.login(email, PASSWORD)).json.response.terms_token as string;
      const noCsrf = await c.post("/terms", { json: { token, version: VERSION } });
      assert.equal(noCsrf.status, 400);
      assert.ok(noCsrf.json.response.field_errors.csrf_token);
      const csrf = { "x-csrf-token": await c.csrf() };
      const forged = await c.post("/terms", { json: { token: token + "x", version: VERSION }, headers: csrf });
      assert.equal(forged.status, 400);
      assert.deepEqual(forged.json.response.error_codes, ["TERMS_LINK_INVALID"]);
      assert.ok(forged.json.response.field_errors.token[0].includes("invalid or has expired"));
      const stale = await c.post("/terms", { json: { token, version: "2024-01" }, headers: csrf });
      assert.deepEqual(stale.json.response.field_errors, { version: ["These are not the current terms."] });
      const long = await c.post("/terms", { json: { token, version: "v".repeat(65) }, headers: csrf });
      assert.equal(long.status, 400);
      assert.deepEqual(long.json.response.error_codes, ["TERMS_VERSION_MISMATCH"]);
      const list = await c.post("/terms", { json: { token, version: [VERSION] }, headers: csrf });
      assert.equal(list.status, 400);
      assert.deepEqual(list.json.response.error_codes, ["API_ERROR"]);
      assert.equal(await store.accepted(created.id), null, "nothing was accepted");
    });

    it("browsers: the sign-in goes to the terms page, its form needs the CSRF token, errors re-render it", async () => {
      const email = "Browser.Terms@Mail.Example.test";
      const created = await user(email);
      const b = new TestClient(demoApp(app.rampart));
      const login = await b.get("/login");
      const stopped = await b.post("/login", { form: { email, password: PASSWORD, csrf_token: csrfFrom(login.body) } });
      assert.equal(stopped.status, 302);
      assert.match(stopped.location!, /^\/terms\?token=/);
      const page = await b.get(stopped.location!);
      assert.equal(page.status, 200);
      assert.match(page.body, /I accept/);
      const token = /name="token" value="([^"]+)"/.exec(page.body)![1]!;

      const noCsrf = await b.post("/terms", { form: { token, version: VERSION } });
      assert.equal(noCsrf.status, 400);
      assert.match(noCsrf.headers.get("content-type") ?? "", /text\/html/);
      assert.equal(await store.accepted(created.id), null);

      const wrong = await b.post("/terms", { form: { token, version: "old", csrf_token: csrfFrom(page.body) } });
      assert.equal(wrong.status, 200);
      assert.match(wrong.body, /These are not the current terms\./);
      assert.match(wrong.body, new RegExp(`name="token" value="${token}"`), "the form keeps the token");

      const done = await b.post("/terms", { form: { token, version: VERSION, csrf_token: csrfFrom(wrong.body) } });
      assert.equal(done.status, 302);
      assert.equal(done.location, "/", "the stopped sign-in is completed: the post-login view");
      assert.equal(await store.accepted(created.id), VERSION);
      assert.equal((await b.get("/terms/status", { acceptJson: true })).status, 200, "signed in");
    });

    it("the token alone (no stopped sign-in in the request) records the acceptance; the user signs in again", async () => {
      const email = "Token.Only+terms@Example.test";
      const created = await user(email);
      const stoppedBrowser = new TestClient(demoApp(app.rampart));
      const login = await stoppedBrowser.get("/login");
      const stopped = await stoppedBrowser.post("/login", {
        form: { email, password: PASSWORD, csrf_token: csrfFrom(login.body) },
      });
      const token = new URL(stopped.location!, "http://x").searchParams.get("token")!;
      const b = new TestClient(demoApp(app.rampart));
      const page = await b.get(`/terms?token=${encodeURIComponent(token)}`);
      const done = await b.post("/terms", { form: { token, version: VERSION, csrf_token: csrfFrom(page.body) } });
      assert.equal(done.status, 302);
      assert.equal(done.location, "/login");
      assert.equal(await store.accepted(created.id), VERSION);
      assert.match((await b.get("/login")).body, /Thank you\. Please sign in again\./);
      assert.equal((await b.get("/terms/status", { acceptJson: true })).status, 401, "nobody signed in");
    });

    it("a stopped sign-in is completed once, and only with a token naming its own user", async () => {
      const [x, y] = ["x.terms-once@Example.test", "y.terms-once@Example.test"];
      const ux = await user(x);
      const uy = await user(y);
      const mx = client();
      const xToken = (await mx.login(x, PASSWORD)).json.response.terms_token as string;
      const yToken = (await client().login(y, PASSWORD)).json.response.terms_token as string;
      const copy = [...mx.jar];
      const csrf = { "x-csrf-token": await mx.csrf() };
      const crossed = await mx.post("/terms", { json: { token: yToken, version: VERSION }, headers: csrf });
      assert.equal(crossed.status, 400, crossed.body);
      assert.deepEqual(crossed.json.response.error_codes, ["TERMS_LINK_INVALID"]);
      assert.equal(await store.accepted(uy.id), null, "nothing recorded for the token's user");
      assert.equal(await store.accepted(ux.id), null);
      assert.equal((await mx.get("/terms/status", { acceptJson: true })).status, 401);

      const done = await mx.post("/terms", { json: { token: xToken, version: VERSION }, headers: csrf });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, x.toLowerCase());
      // The same stopped sign-in again (a copy of its cookie): refused, nobody signed in.
      const replay = client();
      for (const [k, v] of copy) replay.jar.set(k, v);
      const again = await replay.post("/terms", {
        json: { token: xToken, version: VERSION },
        headers: { "x-csrf-token": await replay.csrf() },
      });
      assert.equal(again.status, 400, again.body);
      assert.equal((await replay.get("/terms/status", { acceptJson: true })).status, 401);
    });

    it("auth levels: signed out, the status route is 401 for API callers and the login page for browsers", async () => {
      const json = await client().get("/terms/status", { acceptJson: true });
      assert.equal(json.status, 401);
      assert.deepEqual(json.json.response.error_codes, ["UNAUTHENTICATED"]);
      const browser = await new TestClient(demoApp(app.rampart)).get("/terms/status");
      assert.equal(browser.status, 302);
      assert.equal(browser.location, "/login?next=%2Fterms%2Fstatus");
    });

    it("/openapi.json lists its routes with their schemas, and every JSON answer above matches them", async () => {
      const doc = JSON.parse((await client().get("/openapi.json")).body);
      assert.equal(doc.paths["/terms"].get.operationId, "terms.form");
      assert.equal(doc.paths["/terms"].post.operationId, "terms.accept");
      const body = doc.paths["/terms"].post.requestBody.content["application/x-www-form-urlencoded"].schema;
      assert.deepEqual(Object.keys(body.properties).sort(), ["token", "version"]);
      assert.ok(doc.paths["/terms"].post.responses["403"], "cross-site refusals are documented");
      assert.ok(doc.paths["/terms/status"].get.security, "the status route names how to authenticate");
      const problems = documentValidator(doc);
      const ours = seen.filter((r) => r.path.startsWith("/terms"));
      assert.ok(ours.length >= 8 && new Set(ours.map((r) => r.status)).size >= 3, "answers were recorded");
      assert.deepEqual(ours.flatMap(problems), []);
    });
  });
}
