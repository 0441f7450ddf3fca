import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import { linkedIdentityStore } from "./store.js";

/**
 * The provider buttons as a browser receives them: one form per provider on the sign-in pages (and the
 * registration page when a first sign-in may register), posting to the start route with the page's CSRF token
 * and `next`; on the verify pages only the providers the user has linked.
 */
interface ButtonForm {
  id: string;
  action: string;
  label: string;
  fields: Record<string, string>;
}

function buttonForms(page: string): ButtonForm[] {
  const out: ButtonForm[] = [];
  const re =
    /<form method="post" action="([^"]+)" id="(oauth-[^"]+)"[^>]*>([\s\S]*?)<button type="submit">([^<]*)<\/button><\/form>/g;
  for (const m of page.matchAll(re)) {
    const fields: Record<string, string> = {};
    for (const f of m[3]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[f[1]!] = f[2]!.replaceAll("&amp;", "&");
    out.push({ action: m[1]!.replaceAll("&amp;", "&"), id: m[2]!, label: m[4]!, fields });
  }
  return out;
}

const PASSWORD = "correct horse battery staple 42";

describe("provider buttons on the pages", () => {
  let world: OauthWorld;
  before(async () => {
    world = await startOauthWorld({
      config: {
        registration: { enabled: true },
        unifiedSignin: { enabled: true },
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        oauth: { register: true },
      } as never,
    });
  });
  after(() => world?.close());

  it("GET /login: a form per provider posting to /login/oauthstart/<name> with the CSRF token and next", async () => {
    const c = world.app.client();
    const r = await c.get("/login?next=%2Fapi%2Fprotected", { headers: { accept: "text/html" } });
    assert.equal(r.status, 200, r.body);
    const forms = buttonForms(r.body);
    assert.deepEqual(
      forms.map((f) => [f.id, f.label]),
      [
        ["oauth-login-google", "Sign in with Google"],
        ["oauth-login-github", "Continue with GitHub"],
        ["oauth-login-okta", "Sign in with Okta"],
      ],
    );
    for (const f of forms) {
      assert.match(f.action, /^\/login\/oauthstart\/(google|github|okta)\?next=%2Fapi%2Fprotected$/);
      assert.equal(f.fields.next, "/api/protected");
      assert.ok(f.fields.csrf_token && f.fields.csrf_token.length > 20, "a CSRF token");
    }
  });

  it("every id on the sign-in pages stays unique with the buttons (labels still resolve)", async () => {
    for (const path of ["/login", "/us-signin", "/register"]) {
      const page = (await world.app.client().get(path, { headers: { accept: "text/html" } })).body;
      const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
        path,
      );
    }
  });

  it("a next that is not ours is not carried by the buttons", async () => {
    const r = await world.app
      .client()
      .get("/login?next=https%3A%2F%2Fevil.test%2F", { headers: { accept: "text/html" } });
    for (const f of buttonForms(r.body)) {
      assert.equal(f.fields.next, undefined);
      assert.doesNotMatch(f.action, /evil/);
    }
  });

  it("/us-signin and /register show the buttons too (a first sign-in may register)", async () => {
    for (const path of ["/us-signin", "/register"]) {
      const r = await world.app.client().get(path, { headers: { accept: "text/html" } });
      assert.equal(r.status, 200, `${path}: ${r.body}`);
      assert.deepEqual(
        buttonForms(r.body).map((f) => f.label),
        ["Sign in with Google", "Continue with GitHub", "Sign in with Okta"],
        path,
      );
    }
  });

  it("the page's CSP lets its forms reach the providers' origins (browsers check form-action on the start's redirect)", async () => {
    const r = await world.app.client().get("/login", { headers: { accept: "text/html" } });
    const formAction = /form-action ([^;]+)/.exec(r.headers.get("content-security-policy") ?? "")![1]!.split(" ");
    assert.deepEqual(
      formAction.sort(),
      [
        "'self'",
        new URL(world.google.issuer).origin,
        new URL(world.github.url).origin,
        new URL(world.idp.issuer).origin,
      ].sort(),
    );
  });

  it("JSON answers carry no HTML", async () => {
    const r = await world.app.client().get("/login", { headers: { accept: "application/json" } });
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.body, /oauthstart/);
  });

  it("/verify shows a button only for the providers the user has linked", async () => {
    const user = await world.app.rampart.api.createUser({
      email: "linked@x.test",
      password: PASSWORD,
      confirmed: true,
    });
    const c = world.app.client();
    const signed = await c.login("linked@x.test", PASSWORD);
    assert.equal(signed.status, 200, signed.body);
    const before = await c.get("/verify", { headers: { accept: "text/html" } });
    assert.equal(before.status, 200, before.body);
    assert.deepEqual(buttonForms(before.body), [], "nothing linked: no buttons");

    await world.app.runtime.datastore.store(linkedIdentityStore).link({
      userId: user.id,
      provider: "github",
      subject: "4242",
      issuer: "https://github.com",
      email: "linked@x.test",
      createdAt: new Date(),
    });
    for (const path of ["/verify", "/us-verify"]) {
      const r = await c.get(`${path}?next=%2Fchange`, { headers: { accept: "text/html" } });
      assert.equal(r.status, 200, r.body);
      const forms = buttonForms(r.body);
      assert.deepEqual(
        forms.map((f) => [f.id, f.label, f.action]),
        [["oauth-verify-github", "Confirm with GitHub", "/login/oauth-verify-start/github?next=%2Fchange"]],
        path,
      );
    }
  });
});

describe("provider buttons without registration on first sign-in", () => {
  let world: OauthWorld;
  before(async () => {
    world = await startOauthWorld({ config: { registration: { enabled: true } } as never });
  });
  after(() => world?.close());

  it("/register has no buttons (a provider could not create the account there); /login has them", async () => {
    const register = await world.app.client().get("/register", { headers: { accept: "text/html" } });
    assert.equal(register.status, 200, register.body);
    assert.deepEqual(buttonForms(register.body), []);
    assert.match(register.headers.get("content-security-policy") ?? "", /form-action 'self'$/);
    const login = await world.app.client().get("/login", { headers: { accept: "text/html" } });
    assert.equal(buttonForms(login.body).length, 3);
  });
});
