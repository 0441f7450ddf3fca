import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { flowDialects, type TestApp } from "../helpers/app.js";
import { ApiError } from "../../src/core/api.js";
import { profileFeature } from "../../src/features/profile/index.js";
import {
  PASSWORD,
  csrfFrom,
  flowApp,
  register,
  registration,
} from "../../src/features/registration/testing/support.js";

/**
 * Declared user fields: settable only where their flags say (a field users may not update is not theirs to pick
 * at sign-up either), refused with their own message, and settable by server code through api.createUser.
 */
const userFields = {
  first_name: { schema: z.string().max(5).optional() },
  plan: { schema: z.enum(["free", "pro"]), update: false },
  age: { schema: z.coerce.number().int().min(13).optional(), message: "You must be 13 or older." },
  invited_by: { schema: z.string().optional(), update: false, register: true },
};

for (const dialect of flowDialects()) {
  describe(`declared user fields (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await flowApp({
        dialect,
        confirmation: false,
        config: { returnGenericResponses: false },
        userFields,
        features: [profileFeature],
      });
    });
    after(() => app?.close());

    const profileOf = async (email: string) => (await app.rampart.api.findUser(email))!.profile ?? {};

    it("JSON registration ignores a field declared update: false (the docs' plan) and keeps register: true ones", async () => {
      const r = await register(
        app.client(),
        registration("Greedy.User+pro@Sub.x.test", { plan: "pro", first_name: "Al", age: 30, invited_by: "carol" }),
      );
      assert.equal(r.status, 200, r.body);
      const profile = await profileOf("greedy.user+pro@sub.x.test");
      assert.equal(profile.plan, undefined, "the plan was not the user's to choose");
      assert.deepEqual(profile, { first_name: "Al", age: 30, invited_by: "carol" });
    });

    it("form registration ignores it too", async () => {
      const c = app.client();
      const page = await c.get("/register");
      assert.doesNotMatch(page.body, /name="plan"/, "the page does not offer the field");
      const r = await c.post("/register", {
        form: {
          email: "form-pro@x.test",
          password: PASSWORD,
          password_confirm: PASSWORD,
          plan: "pro",
          age: "20",
          csrf_token: csrfFrom(page.body),
        },
      });
      assert.equal(r.status, 302, r.body);
      assert.equal((await profileOf("form-pro@x.test")).plan, undefined);
      assert.equal((await profileOf("form-pro@x.test")).age, 20);
    });

    it("a refused value reads the schema's message, or the field's declared one (JSON and form)", async () => {
      const r = await register(app.client(), registration("bad@x.test", { first_name: "Bartholomew", age: 9 }));
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.field_errors.first_name, ["Too big: expected string to have <=5 characters"]);
      assert.deepEqual(r.json.response.field_errors.age, ["You must be 13 or older."]);
      assert.deepEqual(r.json.response.error_codes, ["INVALID_FIELD", "INVALID_FIELD"]);
      const c = app.client();
      const page = await c.get("/register");
      const form = await c.post("/register", {
        form: {
          email: "bad-form@x.test",
          password: PASSWORD,
          password_confirm: PASSWORD,
          age: "nine",
          csrf_token: csrfFrom(page.body),
        },
      });
      assert.match(form.body, /You must be 13 or older\./);
      assert.equal(await app.rampart.api.findUser("bad-form@x.test"), null);
    });

    it("PUT /profile answers with the field's own message and still refuses update: false fields", async () => {
      const c = app.client();
      const login = await c.login("greedy.user+pro@sub.x.test", PASSWORD);
      const headers = { "x-csrf-token": login.json.response.csrf_token as string };
      const bad = await c.request("PUT", "/profile", { json: { first_name: "Maximilian" }, headers });
      assert.equal(bad.status, 400, bad.body);
      assert.deepEqual(bad.json.response.field_errors.first_name, ["Too big: expected string to have <=5 characters"]);
      const plan = await c.request("PUT", "/profile", { json: { plan: "pro" }, headers });
      assert.deepEqual(plan.json.response.error_codes, ["FIELD_NOT_UPDATABLE"]);
    });

    it("api.createUser sets declared fields (update: false ones too), checks each and refuses undeclared ones", async () => {
      await app.rampart.api.createUser({
        email: "Paying.Customer@x.test",
        password: PASSWORD,
        profile: { plan: "pro", first_name: "Pat", age: "40" },
      });
      assert.deepEqual(await profileOf("paying.customer@x.test"), { plan: "pro", first_name: "Pat", age: 40 });
      await assert.rejects(
        app.rampart.api.createUser({ email: "x1@x.test", profile: { plan: "gold" as "pro" } }),
        (e: unknown) => e instanceof ApiError && e.field === "plan" && /expected one of "free"\|"pro"/.test(e.message),
      );
      await assert.rejects(
        app.rampart.api.createUser({ email: "x2@x.test", profile: { age: 5 } }),
        (e: unknown) => e instanceof ApiError && e.message === "age: You must be 13 or older.",
      );
      const undeclared = { email: "x3@x.test", profile: { is_admin: true } } as unknown as Parameters<
        typeof app.rampart.api.createUser
      >[0];
      await assert.rejects(
        app.rampart.api.createUser(undeclared),
        (e: unknown) => e instanceof ApiError && e.field === "is_admin",
      );
      assert.equal(await app.rampart.api.findUser("x1@x.test"), null);
      // The signed-in view carries the typed values.
      const c = app.client();
      await c.login("paying.customer@x.test", PASSWORD);
      const me = await c.get("/profile", { acceptJson: true });
      assert.equal(me.json.response.user.plan, "pro");
    });
  });
}
