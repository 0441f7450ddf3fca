import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";

const PASSWORD = "correct horse battery";

describe("guards read roles only when the requirement names roles or permissions", () => {
  let app: TestApp;
  let token: string;
  let roleReads = 0;
  before(async () => {
    app = await createTestApp();
    const { api, datastore } = app.rampart;
    await api.createRole({ name: "admin", permissions: ["users:write"] });
    await api.createUser({ email: "alice@x.test", password: PASSWORD, roles: ["admin"], confirmed: true });
    const r = await app.client().login("alice@x.test", PASSWORD, {}, "?include_auth_token");
    token = r.json.response.user.authentication_token as string;
    const rolesOfUser = datastore.roles.rolesOfUser.bind(datastore.roles);
    datastore.roles.rolesOfUser = (id) => {
      roleReads++;
      return rolesOfUser(id);
    };
  });
  after(() => app.close());

  const request = () =>
    new Request("https://app.test/api/x", { headers: { "authentication-token": token, accept: "application/json" } });

  it("loginRequired, authRequired and freshRequired pass without a roles query and carry no roles", async () => {
    const { guards } = app.rampart;
    for (const requirement of [guards.loginRequired(), guards.authRequired("token"), guards.freshRequired(-1)]) {
      const before = roleReads;
      const outcome = await guards.check(request(), requirement);
      assert.ok(outcome.ok);
      assert.equal(outcome.user.email, "alice@x.test");
      assert.equal(outcome.roles, undefined);
      assert.equal(outcome.permissions, undefined);
      assert.equal(roleReads, before, JSON.stringify(requirement));
    }
  });

  it("role and permission requirements read them and return them", async () => {
    const { guards } = app.rampart;
    for (const requirement of [
      guards.rolesRequired("admin"),
      guards.rolesAccepted("admin", "x"),
      guards.permissionsRequired("users:write"),
      guards.permissionsAccepted("users:write"),
    ]) {
      const before = roleReads;
      const outcome = await guards.check(request(), requirement);
      assert.ok(outcome.ok, JSON.stringify(requirement));
      assert.deepEqual(outcome.roles, ["admin"]);
      assert.deepEqual(outcome.permissions, ["users:write"]);
      assert.equal(roleReads, before + 1);
    }
    const denied = await guards.check(request(), guards.rolesRequired("owner"));
    assert.ok(!denied.ok);
    assert.equal(denied.response.status, 403);
  });
});
