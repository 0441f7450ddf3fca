import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, createRampart, MigrationRequiredError } from "../src/index.js";
import { configKey, defineConfig, defineFeature, defineRoute, ok, type RouteContext } from "../src/feature.js";
import { storeDefOf } from "../src/feature/store.js";
import { runtimeOf } from "../src/internal.js";
import { ackStore, houseRules } from "./fixtures/house-rules-feature.js";
import { createIsolatedDatastore } from "./helpers/databases.js";

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

  it("its migrations are Rampart's: pending until applied, then run once; its rows survive a restart", async () => {
    const { datastore, url, cleanup } = await createIsolatedDatastore("sqlite");
    await datastore.close(); // each start below opens the database itself, and closes it
    const start = (migrations?: "auto") =>
      createRampart({
        config: { secretKey: SECRET },
        database: url,
        features: [houseRules],
        logger: quiet,
        ...(migrations ? { migrations } : {}),
      });
    try {
      await assert.rejects(
        start(),
        (e: unknown) => e instanceof MigrationRequiredError && e.pending.includes("house-rules/0001_ack"),
      );
      const first = await start("auto");
      const user = await first.api.createUser({ email: "kept.row@x.example.test", password: "a long passphrase 1" });
      const at = new Date("2026-01-02T03:04:05.678Z");
      await runtimeOf(first).datastore.store(storeDefOf(ackStore)).ack(user.id, "v-kept", at);
      await first.close();
      const second = await start(); // "check": nothing pending any more
      try {
        const row = await runtimeOf(second).datastore.store(storeDefOf(ackStore)).latest(user.id);
        assert.deepEqual(row, { version: "v-kept", ackedAt: at });
      } finally {
        await second.close();
      }
    } finally {
      await cleanup();
    }
  });

  it("a route continues only sign-ins its own feature's check stops with a step", async () => {
    const stray = defineFeature({
      name: "stray",
      routes: () => [
        defineRoute({
          id: "stray.continue",
          summary: "Claims another feature's stopped sign-ins.",
          method: "POST",
          path: "/stray",
          auth: "any",
          pendingSignIn: "two-factor",
          async handle() {
            return ok({});
          },
        }),
      ],
    });
    await assert.rejects(
      createRampart({ config: { secretKey: SECRET }, features: [stray], logger: quiet }),
      /route "stray.continue" serves "two-factor", not a check of it with a pending step/,
    );
  });
});
