/**
 * Form bodies at the body limit (64 KiB by default), unauthenticated and before any CSRF check: a name repeated
 * thousands of times or thousands of distinct names are refused with 413 TOO_MANY_FIELDS in the contract's
 * shape, for urlencoded and multipart bodies; bodies within the caps are parsed as usual.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { MAX_FIELDS, MAX_REPEATS } from "../../src/core/http/body.js";

const PASSWORD = "correct horse battery";
const LIMIT = 64 * 1024;

/** `part` repeated (joined by `sep`) to as close under `bytes` as it fits. */
function fill(part: string, sep: string, bytes: number): string {
  return Array.from({ length: Math.floor((bytes + sep.length) / (part.length + sep.length)) }, () => part).join(sep);
}

const BOUNDARY = "XyZ";
function multipart(fields: [string, string][]): string {
  return (
    fields.map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") +
    `--${BOUNDARY}--\r\n`
  );
}
/** As many copies of one multipart field as fit under `bytes`. */
function multipartFill(name: string, value: string, bytes: number): string {
  const one = multipart([[name, value]]).length - `--${BOUNDARY}--\r\n`.length;
  const n = Math.floor((bytes - `--${BOUNDARY}--\r\n`.length) / one);
  return multipart(Array.from({ length: n }, () => [name, value] as [string, string]));
}

describe("form bodies with many fields", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  const send = (body: string, contentType: string, json = true) =>
    app.client().post("/login", {
      rawBody: body,
      headers: { "content-type": contentType, ...(json ? { accept: "application/json" } : {}) },
    });
  const URLENCODED = "application/x-www-form-urlencoded";
  const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

  it("a 64 KiB urlencoded body of one repeated bare name (a&a&a…) answers 413 TOO_MANY_FIELDS", async () => {
    const body = fill("a", "&", LIMIT);
    assert.ok(body.length <= LIMIT && body.length > LIMIT - 4);
    const r = await send(body, URLENCODED);
    assert.equal(r.status, 413, r.body.slice(0, 200));
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
    assert.deepEqual(r.json.response.errors, ["The request has too many form fields."]);
  });

  it("the same with values (email=x&email=x…), and as an HTML form post (a page, not a stack trace)", async () => {
    const body = fill("email=a%40x.test", "&", LIMIT);
    const r = await send(body, URLENCODED);
    assert.equal(r.status, 413);
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
    const page = await send(body, URLENCODED, false);
    assert.equal(page.status, 413);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page.body, /The request has too many form fields\./);
    assert.doesNotMatch(page.body, /\n\s+at /);
  });

  it("a 64 KiB urlencoded body of distinct names (a0&a1&…) answers 413 TOO_MANY_FIELDS", async () => {
    const names: string[] = [];
    for (let i = 0, size = 0; size < LIMIT - 8; i++) {
      names.push(`a${i}`);
      size += `a${i}`.length + 1;
    }
    const r = await send(names.join("&"), URLENCODED);
    assert.equal(r.status, 413);
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
  });

  it("a 64 KiB multipart body of one repeated field answers 413 TOO_MANY_FIELDS", async () => {
    const body = multipartFill("a", "", LIMIT);
    assert.ok(body.length <= LIMIT && body.length > LIMIT - 100, String(body.length));
    const r = await send(body, MULTIPART);
    assert.equal(r.status, 413, r.body.slice(0, 200));
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
  });

  it("a multipart body of more than MAX_REPEATS copies of one field (well under the field cap) answers 413", async () => {
    const r = await send(
      multipart(Array.from({ length: MAX_REPEATS + 1 }, () => ["email", "a@x.test"] as [string, string])),
      MULTIPART,
    );
    assert.equal(r.status, 413);
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
  });

  it("within the caps: MAX_REPEATS copies are parsed (then refused as a list, 400), MAX_FIELDS fields sign in", async () => {
    const c = app.client();
    const csrf = await c.csrf();
    const repeated = new URLSearchParams([
      ...Array.from({ length: MAX_REPEATS }, () => ["email", "alice@x.test"]),
      ["password", PASSWORD],
      ["csrf_token", csrf],
    ]);
    const list = await c.post("/login", {
      rawBody: repeated.toString(),
      headers: { "content-type": URLENCODED, accept: "application/json" },
    });
    assert.equal(list.status, 400, list.body);
    assert.deepEqual(list.json.response.error_codes, ["API_ERROR"]);

    const fields: [string, string][] = [
      ["email", "alice@x.test"],
      ["password", PASSWORD],
      ["csrf_token", csrf],
    ];
    for (let i = fields.length; i < MAX_FIELDS; i++) fields.push([`extra${i}`, ""]);
    const urlencoded = await c.post("/login", {
      rawBody: new URLSearchParams(fields).toString(),
      headers: { "content-type": URLENCODED, accept: "application/json" },
    });
    assert.equal(urlencoded.status, 200, urlencoded.body);
    const d = app.client();
    const csrf2 = await d.csrf();
    fields[2] = ["csrf_token", csrf2];
    const body = multipart(fields);
    assert.ok(body.length <= LIMIT, String(body.length));
    const viaMultipart = await d.post("/login", {
      rawBody: body,
      headers: { "content-type": MULTIPART, accept: "application/json" },
    });
    assert.equal(viaMultipart.status, 200, viaMultipart.body);
  });

  it("a JSON body with more than MAX_FIELDS keys answers 413 TOO_MANY_FIELDS", async () => {
    const c = app.client();
    const body: Record<string, string> = { email: "alice@x.test", password: PASSWORD };
    for (let i = 0; i < MAX_FIELDS; i++) body[`k${i}`] = "";
    const r = await c.post("/login", { json: body, headers: { "x-csrf-token": await c.csrf() } });
    assert.equal(r.status, 413);
    assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_FIELDS"]);
  });
});
