import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as rampartPackage from "../src/index.js";
import {
  ConfigError,
  createPasswordHasher,
  createRampart,
  DependencyUnavailableError,
  DuplicateError,
  HashQueueFullError,
  isRampartError,
  MigrationRequiredError,
  RampartError,
  RefusalError,
  type AnyRampartError,
  type Rampart,
} from "../src/index.js";

// @ts-expect-error a route needs internals apps cannot name yet: RouteDef is not exported (rampart/feature will be)
import type { RouteDef } from "../src/index.js";
import type { Feature } from "../src/index.js";

const quiet = { info() {}, warn() {}, error() {} };
const SECRET = "public-surface-secret-0123456789abcdef0123";

describe("the public Rampart object", () => {
  it("exposes no internals: no `runtime` key, at run time or in its type", async () => {
    const rampart = await createRampart({ config: { secretKey: SECRET }, logger: quiet });
    try {
      assert.equal("runtime" in rampart, false);
      assert.deepEqual(Object.keys(rampart).sort(), [
        "api",
        "close",
        "config",
        "datastore",
        "events",
        "fetch",
        "guards",
        "handles",
      ]);
      // @ts-expect-error Rampart has no runtime property
      const hidden: unknown = (rampart satisfies Rampart).runtime;
      assert.equal(hidden, undefined);
    } finally {
      await rampart.close();
    }
  });

  it("the package entry does not export the internal accessor", () => {
    assert.equal("runtimeOf" in rampartPackage, false);
    assert.equal("attachRuntime" in rampartPackage, false);
  });

  it("exports the part of a feature an app can write (name, enabled, sign-in checks), not the built-in list", () => {
    assert.equal("builtinFeatures" in rampartPackage, false);
    const lockout: Feature = { name: "lockout", enabled: () => true, signInChecks: () => [] };
    // @ts-expect-error routes need internals that are not published
    const withRoutes: Feature = { name: "x", routes: () => [] };
    assert.ok(lockout && withRoutes);
    const unused: RouteDef | undefined = undefined;
    assert.equal(unused, undefined);
  });
});

describe("the error family", () => {
  it("every member is a RampartError with its own code and data, and switch (code) narrows to it", () => {
    const members: AnyRampartError[] = [
      new ConfigError([{ key: "SECRET_KEY", message: "is required" }]),
      new MigrationRequiredError(["0007_x"]),
      new HashQueueFullError(),
      new DependencyUnavailableError("session store (Redis)", new Error("ECONNREFUSED")),
      new DuplicateError("email"),
      new RefusalError("BODY_TOO_LARGE", 413),
    ];
    const seen = members.map((err) => {
      assert.ok(err instanceof RampartError && err instanceof Error && isRampartError(err));
      switch (err.code) {
        case "CONFIG_INVALID":
          return `${err.code}:${err.issues[0]!.key}`;
        case "MIGRATION_REQUIRED":
          return `${err.code}:${err.pending.join()}`;
        case "HASH_QUEUE_FULL":
          return err.code;
        case "DEPENDENCY_UNAVAILABLE":
          return `${err.code}:${err.dependency}`;
        case "DUPLICATE":
          return `${err.code}:${err.field}`;
        default:
          return `${err.code}:${err.status}`;
      }
    });
    assert.deepEqual(seen, [
      "CONFIG_INVALID:SECRET_KEY",
      "MIGRATION_REQUIRED:0007_x",
      "HASH_QUEUE_FULL",
      "DEPENDENCY_UNAVAILABLE:session store (Redis)",
      "DUPLICATE:email",
      "BODY_TOO_LARGE:413",
    ]);
    assert.equal(isRampartError(new Error("x")), false);
  });

  it("createRampart's configuration and migration refusals are members of the family", async () => {
    await assert.rejects(
      createRampart({ config: { secretKey: "short" }, logger: quiet }),
      (e: unknown) => isRampartError(e) && e.code === "CONFIG_INVALID",
    );
  });

  it("the public password hasher raises the family's errors, not the crypto layer's", async () => {
    assert.throws(
      () => createPasswordHasher({ bcryptCost: 3 }),
      (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key === "passwords.bcryptCost"),
    );
    // One job runs, none may wait: the next ones are refused at once.
    const hasher = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 4, maxConcurrent: 1, maxQueue: 0 });
    const results = await Promise.allSettled([
      hasher.hash("first password"),
      hasher.hash("second password"),
      hasher.verify("third", null),
    ]);
    assert.equal(results[0]!.status, "fulfilled");
    for (const r of results.slice(1))
      assert.ok(
        r.status === "rejected" && r.reason instanceof HashQueueFullError && r.reason.code === "HASH_QUEUE_FULL",
        String((r as PromiseRejectedResult).reason),
      );
  });
});

describe("createRampart reads development mode from the environment, as `rampart serve` does", () => {
  /** Runs `fn` with RAMPART_DEVELOPMENT and NODE_ENV set as given (undefined: unset), then restores them. */
  async function withEnv<T>(
    vars: { RAMPART_DEVELOPMENT?: string; NODE_ENV?: string },
    fn: () => Promise<T>,
  ): Promise<T> {
    const saved = { RAMPART_DEVELOPMENT: process.env.RAMPART_DEVELOPMENT, NODE_ENV: process.env.NODE_ENV };
    for (const key of ["RAMPART_DEVELOPMENT", "NODE_ENV"] as const) {
      if (vars[key] === undefined) delete process.env[key];
      else process.env[key] = vars[key];
    }
    try {
      return await fn();
    } finally {
      for (const key of ["RAMPART_DEVELOPMENT", "NODE_ENV"] as const) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  }
  const developmentOf = async (config: { secretKey?: string; development?: boolean }) => {
    const rampart = await createRampart({ config, logger: quiet });
    try {
      const res = await rampart.fetch(
        new Request("http://localhost/login", { headers: { accept: "application/json" } }),
      );
      return {
        development: rampart.config.development,
        secure: /;\s*secure/i.test(res.headers.get("set-cookie") ?? ""),
      };
    } finally {
      await rampart.close();
    }
  };

  it("RAMPART_DEVELOPMENT=true: development mode (generated secret, cookies not Secure) without saying so in config", async () => {
    for (const value of ["true", "1", "YES", " on "]) {
      assert.deepEqual(
        await withEnv({ RAMPART_DEVELOPMENT: value }, () => developmentOf({})),
        { development: true, secure: false },
        value,
      );
    }
  });

  it("NODE_ENV=development decides when RAMPART_DEVELOPMENT is unset or empty; RAMPART_DEVELOPMENT=false wins over it", async () => {
    assert.equal((await withEnv({ NODE_ENV: "development" }, () => developmentOf({}))).development, true);
    assert.equal(
      (await withEnv({ NODE_ENV: "development", RAMPART_DEVELOPMENT: "" }, () => developmentOf({}))).development,
      true,
    );
    assert.equal(
      (
        await withEnv({ NODE_ENV: "development", RAMPART_DEVELOPMENT: "false" }, () =>
          developmentOf({ secretKey: SECRET }),
        )
      ).development,
      false,
    );
    assert.equal(
      (await withEnv({ NODE_ENV: "production" }, () => developmentOf({ secretKey: SECRET }))).development,
      false,
    );
  });

  it("unset: production rules (a missing SECRET_KEY is refused)", async () => {
    await withEnv({}, () =>
      assert.rejects(
        createRampart({ config: {}, logger: quiet }),
        (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key.startsWith("SECRET_KEY")),
      ),
    );
    assert.deepEqual(await withEnv({}, () => developmentOf({ secretKey: SECRET })), {
      development: false,
      secure: true,
    });
  });

  it("an explicit config.development wins over the environment", async () => {
    assert.equal(
      (await withEnv({ RAMPART_DEVELOPMENT: "true" }, () => developmentOf({ secretKey: SECRET, development: false })))
        .development,
      false,
    );
    assert.equal(
      (await withEnv({ RAMPART_DEVELOPMENT: "false" }, () => developmentOf({ development: true }))).development,
      true,
    );
  });

  it("a RAMPART_DEVELOPMENT that is not a boolean is a configuration error naming it", async () => {
    await withEnv({ RAMPART_DEVELOPMENT: "maybe" }, () =>
      assert.rejects(
        createRampart({ config: { secretKey: SECRET }, logger: quiet }),
        (e: unknown) =>
          e instanceof ConfigError && e.issues.some((i) => i.key === "RAMPART_DEVELOPMENT" && /maybe/.test(i.message)),
      ),
    );
  });
});
