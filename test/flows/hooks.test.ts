import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { flowDialects, type TestApp } from "../helpers/app.js";
import type { HookInput } from "../../src/core/events.js";
import { openLink } from "../helpers/links.js";
import {
  PASSWORD,
  csrfFrom,
  flowApp,
  linkPath,
  mailTo,
  register,
  registration,
} from "../../src/features/registration/testing/support.js";

/**
 * `before` hooks see what was submitted (parsed fields, and a Request whose body can still be read), a veto keeps
 * the status it asks for, and every automatic sign-in runs `before.login` too.
 */
for (const dialect of flowDialects()) {
  describe(`hooks (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    const seen: {
      action: string;
      input: Record<string, unknown>;
      body: unknown;
      user: string | null;
      keys: string[];
      headers: string[];
    }[] = [];

    async function remember(h: HookInput): Promise<void> {
      // A hook that reads the body the way an app would: clone it and parse it.
      const type = h.request.headers.get("content-type") ?? "";
      const copy = h.request.clone();
      const body = type.includes("json") ? await copy.json() : Object.fromEntries(await copy.formData());
      seen.push({
        action: h.action,
        input: { ...h.input },
        body,
        user: h.user?.email ?? null,
        keys: h.user ? Object.keys(h.user) : [],
        headers: [...h.request.headers.keys()],
      });
    }

    before(async () => {
      app = await flowApp({
        dialect,
        confirmation: false,
        config: { returnGenericResponses: false },
        hooks: {
          before: {
            register: async (h) => {
              await remember(h);
              if (h.input.invite !== "open-sesame")
                return { message: "An invitation is needed.", field: "invite", code: "NO_INVITE", status: 403 };
            },
            login: async (h) => {
              await remember(h);
              if (h.user?.email.startsWith("on-holiday"))
                return { message: "Away until Monday.", code: "AWAY", status: 423 };
            },
          },
        },
      });
      await app.rampart.api.createUser({
        email: "on-holiday.bob+x@Sub.Example.test",
        password: PASSWORD,
        confirmed: true,
      });
    });
    after(() => app?.close());

    it("a JSON before hook reads the parsed input and the body; its veto keeps status 403", async () => {
      seen.length = 0;
      const r = await register(app.client(), registration("new-user+tag@x.test", { invite: "nope" }));
      assert.equal(r.status, 403, r.body);
      assert.deepEqual(r.json.response.field_errors, { invite: ["An invitation is needed."] });
      assert.deepEqual(r.json.response.error_codes, ["NO_INVITE"]);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.input.invite, "nope");
      assert.equal(seen[0]!.input.email, "new-user+tag@x.test");
      assert.equal((seen[0]!.body as Record<string, unknown>).invite, "nope");
      assert.ok(!JSON.stringify(seen).includes(PASSWORD), "hooks never see the password");
      assert.equal(await app.rampart.api.findUser("new-user+tag@x.test"), null);
    });

    it("a form before hook reads the fields too; the form shows the veto", async () => {
      seen.length = 0;
      const c = app.client();
      const page = await c.get("/register");
      const r = await c.post("/register", {
        form: {
          email: "Form.User@x.test",
          password: PASSWORD,
          password_confirm: PASSWORD,
          invite: "wrong",
          csrf_token: csrfFrom(page.body),
        },
      });
      assert.match(r.body, /An invitation is needed\./);
      assert.equal(seen[0]!.input.invite, "wrong");
      assert.equal((seen[0]!.body as Record<string, unknown>).invite, "wrong");
      assert.equal(await app.rampart.api.findUser("Form.User@x.test"), null);
    });

    it("registration's automatic sign-in runs before.login with the new user (public view)", async () => {
      seen.length = 0;
      const c = app.client();
      const r = await register(c, registration("Fresh.Person@x.test", { invite: "open-sesame" }));
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(
        seen.map((s) => s.action),
        ["register", "login"],
      );
      assert.equal(seen[1]!.user, "Fresh.Person@x.test");
      assert.ok(
        !seen[1]!.keys.includes("password") && !seen[1]!.keys.includes("fsUniquifier"),
        "hooks get the public view",
      );
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("a before.login veto of registration's sign-in keeps the new account signed out (the registration stands)", async () => {
      const c = app.client();
      const r = await register(
        c,
        registration("on-holiday.carol@x.test", { invite: "open-sesame" }),
        "?include_auth_token",
      );
      assert.ok(await app.rampart.api.findUser("on-holiday.carol@x.test"), "the account was created");
      // The committed registration is reported as done, as when the sign-in pipeline refuses; nobody is signed in.
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.user.authentication_token, undefined);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("a login veto keeps its status at /login", async () => {
      seen.length = 0;
      const r = await app.client().login("on-holiday.bob+x@sub.example.test", PASSWORD);
      assert.equal(r.status, 423, r.body);
      assert.deepEqual(r.json.response.field_errors, { "": ["Away until Monday."] });
      // The login carried a CSRF cookie and header: neither reaches the hook.
      assert.equal(seen.length, 1);
      assert.ok(seen[0]!.headers.includes("content-type"), "ordinary headers are kept");
      for (const h of ["cookie", "authorization", "x-csrf-token", "x-xsrf-token", "authentication-token"]) {
        assert.ok(!seen[0]!.headers.includes(h), `the hook's request copy has no ${h} header`);
      }
    });
  });
}

describe("hooks: a body the route does not read", { timeout: 60_000 }, () => {
  it("a before.logout hook gets empty input for a text/plain body, and logout still works", async () => {
    const inputs: Record<string, unknown>[] = [];
    const app = await flowApp({
      confirmation: false,
      hooks: { before: { logout: ({ input }) => void inputs.push({ ...input }) } },
    });
    try {
      await app.rampart.api.createUser({ email: "leaving@x.test", password: PASSWORD, confirmed: true });
      const c = app.client();
      const login = await c.login("leaving@x.test", PASSWORD);
      const r = await c.post("/logout", {
        rawBody: "bye",
        headers: {
          "content-type": "text/plain",
          accept: "application/json",
          "x-csrf-token": login.json.response.csrf_token,
        },
      });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(inputs, [{}]);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    } finally {
      await app.close();
    }
  });
});

describe("hooks: confirmation's automatic sign-in", { timeout: 60_000 }, () => {
  it("runs before.login; a veto leaves the confirmed user signed out", async () => {
    const logins: string[] = [];
    const app = await flowApp({
      config: { confirmation: { autoLoginAfterConfirm: true } },
      hooks: {
        before: { login: ({ user }) => (logins.push(user?.email ?? "?"), { message: "Not today.", status: 403 }) },
      },
    });
    try {
      await register(app.client(), registration("late.riser@x.test"));
      const visitor = app.client();
      await openLink(visitor, linkPath(await mailTo(app, "late.riser@x.test", "Welcome")));
      assert.ok((await app.rampart.api.findUser("late.riser@x.test"))!.confirmedAt, "the address is confirmed");
      assert.deepEqual(logins, ["late.riser@x.test"]);
      assert.equal((await visitor.get("/api/protected", { acceptJson: true })).status, 401);
    } finally {
      await app.close();
    }
  });
});
