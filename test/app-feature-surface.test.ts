import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, createRampart } from "../src/index.js";
import { configKey, defineConfig, defineFeature, defineRoute, ok, type RouteContext } from "../src/feature.js";

/**
 * What `rampart/feature` refuses or guarantees at composition: a misspelt key of an app's slice fails startup
 * like a built-in's, names and keys Rampart owns and reused route ids are refused, listeners are added, and a
 * handler's context carries no internals.
 */
const quiet = { info() {}, warn() {}, error() {} };
const SECRET = "app-feature-surface-secret-0123456789abcdef";
const slice = defineConfig({
  key: "greeting",
  schema: z.strictObject({ word: configKey(z.string().default("hello"), { doc: "The word." }) }),
});

function greeting(seen: { ctx?: RouteContext; signedIn?: string[] } = {}, id = "greeting.say") {
  return defineFeature({
    name: "greeting",
    config: slice,
    routes: (settings) => [
      defineRoute({
        id,
        summary: "Says the configured word.",
        method: "GET",
        path: "/greeting",
        auth: "any",
        output: z.object({ word: z.string() }),
        async handle(ctx) {
          seen.ctx = ctx;
          return ok({ word: settings.word });
        },
      }),
    ],
    listeners: () => ({ user_authenticated: (p) => void (seen.signedIn ??= []).push(...p.authnVia) }),
  });
}

describe("composing an app's feature", () => {
  it("its config keys are resolved with defaults and checked strictly: a misspelt key fails startup, named", async () => {
    const seen: { ctx?: RouteContext } = {};
    const rampart = await createRampart({
      config: { secretKey: SECRET, greeting: { word: "hi" } } as never,
      features: [greeting(seen)],
      logger: quiet,
    });
    try {
      const r = await rampart.fetch(new Request("http://x.test/greeting", { headers: { accept: "application/json" } }));
      assert.deepEqual((await r.json()).response, { word: "hi" });
      assert.ok(seen.ctx && !("rt" in seen.ctx), "a handler's context has no runtime");
      assert.ok(Object.isFrozen(seen.ctx));
    } finally {
      await rampart.close();
    }
    await assert.rejects(
      createRampart({
        config: { secretKey: SECRET, greeting: { wrod: "hi" } } as never,
        features: [greeting()],
        logger: quiet,
      }),
      (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key === "greeting.wrod"),
    );
  });

  it("its listeners are on the event bus", async () => {
    const seen: { signedIn?: string[] } = {};
    const rampart = await createRampart({ config: { secretKey: SECRET }, features: [greeting(seen)], logger: quiet });
    try {
      await rampart.events.emit("user_authenticated", { user: {} as never, authnVia: ["password"], sessionId: null });
      assert.deepEqual(seen.signedIn, ["password"]);
    } finally {
      await rampart.close();
    }
  });

  it("refuses a built-in's name, a config key Rampart owns and a route id already taken", async () => {
    assert.throws(() => defineFeature({ name: "login" }), /feature name "login"/);
    assert.throws(() => defineFeature({ name: "Bad Name" }), /feature name/);
    for (const key of ["password", "twoFactor", "mail"]) {
      const taken = defineConfig({ key, schema: z.strictObject({}) });
      assert.throws(() => defineFeature({ name: "x", config: taken }), new RegExp(`config key "${key}"`));
    }
    await assert.rejects(
      createRampart({ config: { secretKey: SECRET }, features: [greeting({}, "login")], logger: quiet }),
      /route id "login" declared twice/,
    );
  });
});
