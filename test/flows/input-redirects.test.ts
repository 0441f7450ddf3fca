import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTestApp, type TestApp } from "../helpers/app.js";

const PASSWORD = "correct horse battery";
const corpus = readFileSync(new URL("../fixtures/redirects.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.length > 0);

describe("bad input never yields a 500", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  async function post(
    body: string | Uint8Array,
    contentType = "application/json",
    extraHeaders: Record<string, string> = {},
  ) {
    const c = app.client();
    const csrf = await c.csrf();
    return c.post("/login", {
      rawBody: body as BodyInit,
      headers: { "content-type": contentType, "x-csrf-token": csrf, accept: "application/json", ...extraHeaders },
    });
  }

  it("wrong types are 400 API_ERROR", async () => {
    for (const body of [
      { email: { not: "a string" }, password: PASSWORD },
      { email: ["alice@x.test", "bob@x.test"], password: PASSWORD },
      { email: "alice@x.test", password: { x: 1 } },
      { email: "alice@x.test", password: 123456 },
      { email: { $ne: null }, password: PASSWORD },
      { email: "alice@x.test", password: PASSWORD, remember: { yes: true } },
    ]) {
      const r = await post(JSON.stringify(body));
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json.response.error_codes, ["API_ERROR"]);
      assert.deepEqual(r.json.response.errors, ["Input not appropriate for requested API"]);
    }
  });

  it("prototype pollution payloads change nothing", async () => {
    const r = await post(
      '{"__proto__":{"roles":["admin"]},"constructor":{"prototype":{"isAdmin":true}},"email":"alice@x.test","password":"' +
        PASSWORD +
        '"}',
    );
    assert.equal(r.status, 200);
    assert.equal(({} as Record<string, unknown>).roles, undefined);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    assert.deepEqual(await app.rampart.api.rolesOf((await app.rampart.api.findUser("alice@x.test"))!), []);
  });

  it("malformed JSON, a non-object, invalid UTF-8 and text/plain bodies are refused", async () => {
    let r = await post("{not json");
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.error_codes, ["MALFORMED_JSON"]);
    r = await post("[1,2,3]");
    assert.equal(r.status, 400);
    r = await post(new Uint8Array([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x7d]));
    assert.equal(r.status, 400);
    r = await post(JSON.stringify({ email: "alice@x.test", password: PASSWORD }), "text/plain");
    assert.equal(r.status, 415);
    r = await post("[".repeat(10000) + "]".repeat(10000));
    assert.equal(r.status, 400);
  });

  it("an oversized body gets 413 without being read", async () => {
    const big = JSON.stringify({ email: "alice@x.test", password: "x".repeat(100 * 1024) });
    const r = await post(big);
    assert.equal(r.status, 413);
    assert.deepEqual(r.json.response.error_codes, ["BODY_TOO_LARGE"]);
    const unbounded = await post(
      new ReadableStream({
        pull(c) {
          c.enqueue(new Uint8Array(64 * 1024));
        },
      }) as unknown as Uint8Array,
    );
    assert.equal(unbounded.status, 413);
  });

  it("SQL-ish and odd identities fail like any other, without errors", async () => {
    for (const email of ["' OR '1'='1", "admin'--", "a@b.c'; SELECT pg_sleep(5)--", "alice@x.test\u0000"]) {
      const r = await post(JSON.stringify({ email, password: PASSWORD }));
      assert.equal(r.status, 400, email);
    }
  });

  it("form posts with repeated fields are refused", async () => {
    const c = app.client();
    const csrf = await c.csrf();
    const r = await c.post("/login", {
      rawBody: `email=a%40x.test&email=b%40x.test&password=x&csrf_token=${csrf}`,
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    });
    assert.equal(r.status, 400);
  });
});

describe("open redirect defence (SECURITY.md corpus)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  const origin = "https://app.test";
  const staysHome = (location: string | null) => !location || new URL(location, origin).origin === origin;

  for (const target of corpus) {
    it(`next=${JSON.stringify(target)} never leaves the site (query, form and JSON)`, async () => {
      for (const encoded of [encodeURIComponent(target), target.replace(/[\t ]/g, (c) => encodeURIComponent(c))]) {
        const c = app.client();
        const csrf = await c.csrf();
        const viaQuery = await c.post(`/login?next=${encoded}`, {
          form: { email: "alice@x.test", password: PASSWORD, csrf_token: csrf },
        });
        assert.ok([200, 302].includes(viaQuery.status), `status ${viaQuery.status}`);
        assert.ok(staysHome(viaQuery.location), `query: Location ${viaQuery.location}`);
      }
      const c2 = app.client();
      const viaForm = await c2.post("/login", {
        form: { email: "alice@x.test", password: PASSWORD, next: target, csrf_token: await c2.csrf() },
      });
      assert.ok(staysHome(viaForm.location), `form: Location ${viaForm.location}`);
      const c3 = app.client();
      const viaJson = await c3.post("/login", {
        json: { email: "alice@x.test", password: PASSWORD, next: target },
        headers: { "x-csrf-token": await c3.csrf() },
      });
      if (viaJson.status === 400) assert.deepEqual(viaJson.json.response.error_codes, ["INVALID_REDIRECT"]);
      else assert.equal(viaJson.status, 200);
    });
  }

  it("a same-site next is honoured on form login", async () => {
    const c = app.client();
    const r = await c.post("/login?next=/page1", {
      form: { email: "alice@x.test", password: PASSWORD, csrf_token: await c.csrf() },
    });
    assert.equal(r.status, 302);
    assert.equal(r.location, "/page1");
  });

  it("an off-site next fails JSON login with INVALID_REDIRECT and signs nobody in", async () => {
    const c = app.client();
    const r = await c.post("/login?next=http://google.com", {
      json: { email: "alice@x.test", password: PASSWORD },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.response.errors[0], "Redirections outside the domain are forbidden");
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });
});
