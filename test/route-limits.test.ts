import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineRoute } from "../src/core/define-route.js";
import type { Feature } from "../src/core/feature.js";
import { ok } from "../src/core/outcome.js";
import { admitSend } from "../src/kit/send-limits.js";
import { createTestApp, type TestApp } from "./helpers/app.js";

/**
 * A route that draws a send or credential limit must declare it (`limits`), which is what puts its 429 in
 * /openapi.json: a declared one answers 429 with Retry-After past the limit and is documented so; an undeclared
 * one fails loudly on its first draw (so a route's own tests catch the omission) and sends nothing.
 */
const sender = (id: string, path: string, limits?: ["send"]) =>
  defineRoute({
    id,
    summary: "Mails the address (a test route).",
    method: "POST",
    path,
    auth: "any",
    ...(limits ? { limits } : {}),
    input: z.object({ email: z.string() }),
    output: z.object({}),
    async handle(ctx, { input }) {
      await admitSend(ctx, "mail", input.email);
      return ok({});
    },
  });

const feature: Feature = {
  name: "route-limits-test",
  routes: () => [sender("declared", "/declared-send", ["send"]), sender("undeclared", "/undeclared-send")],
};

describe("routes declare the limits that can refuse them", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ features: [feature], config: { rateLimit: { sendsPerDestination: 1 } } as never });
  });
  after(() => app.close());

  it("a declared send limit: 200, then 429 with Retry-After, as /openapi.json says", async () => {
    const c = app.client();
    const csrf = { "x-csrf-token": await c.csrf() };
    const email = "De-Clared.Send+limit@Mail.Sub.Example.test";
    const first = await c.post("/declared-send", { json: { email }, headers: csrf });
    assert.equal(first.status, 200, first.body);
    const second = await c.post("/declared-send", { json: { email: email.toLowerCase() }, headers: csrf });
    assert.equal(second.status, 429, second.body);
    assert.ok(Number(second.headers.get("retry-after")) > 0);
    const doc = JSON.parse((await c.get("/openapi.json")).body);
    const documented = doc.paths["/declared-send"].post.responses["429"];
    assert.ok(documented?.headers?.["Retry-After"], "429 with Retry-After documented");
    assert.equal(doc.paths["/undeclared-send"].post.responses["429"], undefined, "the undeclared route says nothing");
  });

  it("an undeclared one fails on its first draw and counts nothing", async () => {
    const c = app.client();
    const csrf = { "x-csrf-token": await c.csrf() };
    const email = "un.declared-send+limit@mail.sub.example.test";
    const r = await c.post("/undeclared-send", { json: { email }, headers: csrf });
    assert.equal(r.status, 500, r.body);
    assert.deepEqual(r.json.response.error_codes, ["INTERNAL_ERROR"]);
    // Nothing was drawn: the destination's one send is still there for a route that declares it.
    assert.equal((await c.post("/declared-send", { json: { email }, headers: csrf })).status, 200);
  });
});
