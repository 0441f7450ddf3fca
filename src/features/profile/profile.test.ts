import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import type { UserFieldSpec } from "../../core/runtime.js";
import { profileFeature } from "./index.js";

const PASSWORD = "correct horse battery";
const extra = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, { schema: z.string() }]));
const userFields: Record<string, UserFieldSpec> = {
  first_name: { schema: z.string().max(50) },
  age: { schema: z.number().int().min(0) },
  nickname: { schema: z.string(), update: false },
  secret_note: { schema: z.string(), expose: false },
  ...extra,
};

async function signedIn(
  app: TestApp,
  email: string,
): Promise<{ c: TestClient; put: (json: unknown) => ReturnType<TestClient["post"]> }> {
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  const csrf = login.json.response.csrf_token as string;
  return { c, put: (json) => c.request("PUT", "/profile", { json, headers: { "x-csrf-token": csrf } }) };
}

for (const dialect of flowDialects()) {
  describe(`profile (${dialect})`, () => {
    let app: TestApp;
    const updates: string[][] = [];
    before(async () => {
      app = await createTestApp({ dialect, userFields, features: [profileFeature] });
      app.rampart.events.on("profile_updated", ({ fields }) => void updates.push(fields));
      await app.rampart.api.createRole({ name: "admin" });
      await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
      await app.rampart.api.createUser({ email: "bob@x.test", password: PASSWORD });
    });
    after(() => app.close());

    it("GET /profile: 401 anonymous (HTML: to login), the serialized user when signed in (session or token)", async () => {
      const anon = await app.client().get("/profile", { acceptJson: true });
      assert.equal(anon.status, 401);
      assert.deepEqual(anon.json.response.errors, ["You must sign in to view this resource."]);
      assert.equal(anon.headers.get("www-authenticate"), null);
      assert.equal((await app.client().get("/profile")).location, "/login?next=%2Fprofile");

      const { c } = await signedIn(app, "alice@x.test");
      const r = await c.get("/profile", { acceptJson: true });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.json.response), ["user"]);
      assert.equal(r.json.response.user.email, "alice@x.test");
      assert.equal(r.json.response.user.first_name, null);
      assert.ok(!("secret_note" in r.json.response.user), "unexposed fields stay hidden");

      const t = app.client();
      const login = await t.login("alice@x.test", PASSWORD, {}, "?include_auth_token");
      const token = login.json.response.user.authentication_token as string;
      const viaToken = await app
        .client()
        .get("/profile", { acceptJson: true, headers: { "authentication-token": token } });
      assert.equal(viaToken.status, 200);
      assert.equal(viaToken.json.response.user.email, "alice@x.test");
    });

    it("PUT /profile updates declared fields (validated) and answers the updated user", async () => {
      const { c, put } = await signedIn(app, "alice@x.test");
      const r = await put({ first_name: "Alice", age: 30, secret_note: "kept out of sight" });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.user.first_name, "Alice");
      assert.equal(r.json.response.user.age, 30);
      assert.deepEqual(updates.at(-1), ["first_name", "age", "secret_note"]);
      assert.equal((await c.get("/profile", { acceptJson: true })).json.response.user.first_name, "Alice");
      assert.equal((await app.rampart.api.findUser("alice@x.test"))!.profile?.secret_note, "kept out of sight");
      const audit = await app.rampart.api.auditEvents({ event: "profile_updated" });
      assert.deepEqual(audit[0]!.details, { fields: ["first_name", "age", "secret_note"] });
      assert.ok(!JSON.stringify(audit).includes("kept out of sight"), "values are not audited");

      const bad = await put({ age: "thirty", first_name: "x".repeat(51) });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.json.response.field_errors).sort(), ["age", "first_name"]);
      assert.deepEqual(bad.json.response.error_codes, ["INVALID_FIELD", "INVALID_FIELD"]);
      assert.equal((await app.rampart.api.findUser("alice@x.test"))!.profile?.age, 30);

      assert.deepEqual(
        (await c.request("PUT", "/profile", { json: { first_name: "Eve" } })).json.response.error_codes,
        ["CSRF_MISSING"],
      );
      assert.equal((await app.client().request("PUT", "/profile", { json: { first_name: "Eve" } })).status, 401);
    });

    it("mass assignment: any protected or undeclared field → 400 naming it, and nothing at all changes", async () => {
      const { c, put } = await signedIn(app, "bob@x.test");
      const before = (await app.rampart.api.findUser("bob@x.test"))!;
      const attempts: Record<string, unknown> = {
        roles: ["admin"],
        permissions: ["*"],
        active: false,
        email: "boss@x.test",
        password: "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA",
        username: "boss",
        confirmed_at: "2020-01-01T00:00:00Z",
        fs_uniquifier: "mine",
        fs_token_uniquifier: "mine",
        tf_primary_method: "sms",
        tf_totp_secret: "x",
        us_phone_number: "+15555550100",
        id: 1,
        create_datetime: "2000-01-01",
        email_verified: true,
        nickname: "not updatable",
        constructor: { prototype: { isAdmin: true } },
        ["__proto__"]: { roles: ["admin"] },
      };
      for (const [name, value] of Object.entries(attempts)) {
        const body = `{"first_name":"Changed",${JSON.stringify(name)}:${JSON.stringify(value)}}`;
        const r = await put(body);
        assert.equal(r.status, 400, name);
        assert.deepEqual(Object.keys(r.json.response.field_errors), [name], name);
        assert.deepEqual(r.json.response.error_codes, ["FIELD_NOT_UPDATABLE"], name);
        assert.equal(r.json.response.field_errors[name][0], `${name} cannot be changed here.`);
      }
      const after = (await app.rampart.api.findUser("bob@x.test"))!;
      assert.deepEqual({ ...after, updateDatetime: null }, { ...before, updateDatetime: null });
      assert.deepEqual(await app.rampart.api.rolesOf(after), []);
      assert.equal((await c.get("/profile", { acceptJson: true })).json.response.user.first_name, null);
      assert.equal((await app.client().login("bob@x.test", PASSWORD)).status, 200);
      assert.equal(await app.rampart.api.findUser("boss@x.test"), null);
    });

    it("concurrent PUTs of different fields all survive (no lost update)", async () => {
      const { c, put } = await signedIn(app, "bob@x.test");
      const replies = await Promise.all(Object.keys(extra).map((name, i) => put({ [name]: `v${i}` })));
      assert.deepEqual(
        replies.map((r) => r.status),
        Object.keys(extra).map(() => 200),
      );
      const user = (await c.get("/profile", { acceptJson: true })).json.response.user;
      for (const [i, name] of Object.keys(extra).entries()) assert.equal(user[name], `v${i}`, name);
    });
  });
}

describe("profile: switching and pages", () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it("without declared fields it is off unless PROFILE_ENABLE; enabled, PUT refuses every field", async () => {
    const off = await createTestApp({ features: [profileFeature] });
    apps.push(off);
    assert.equal((await off.client().get("/profile", { acceptJson: true })).status, 404);
    const on = await createTestApp({ config: { profile: { enable: true } }, features: [profileFeature] });
    apps.push(on);
    await on.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const { c, put } = await signedIn(on, "alice@x.test");
    assert.deepEqual((await c.get("/profile", { acceptJson: true })).json.response, {
      user: { email: "alice@x.test" },
    });
    assert.deepEqual((await put({ nickname: "a" })).json.response.error_codes, ["FIELD_NOT_UPDATABLE"]);
    assert.equal((await put({})).status, 200);
    assert.equal((await put("[1,2]")).status, 400);
    assert.equal((await put("{not json")).status, 400);
  });

  it("browsers get a read-only page with values escaped", async () => {
    const app = await createTestApp({ userFields, features: [profileFeature] });
    apps.push(app);
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
    const { c, put } = await signedIn(app, "alice@x.test");
    assert.equal((await put({ first_name: "<script>alert(1)</script>" })).status, 200);
    const page = await c.get("/profile");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    assert.ok(!page.body.includes("<script>alert(1)</script>"));
    assert.match(page.body, /data-field="first_name">&lt;script&gt;alert\(1\)&lt;\/script&gt;</);
  });
});
