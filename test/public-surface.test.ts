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

const quiet = { info() {}, warn() {}, error() {} };
const SECRET = "public-surface-secret-0123456789abcdef0123";

describe("the public Rampart object", () => {
  it("exposes no internals: no `runtime` key, at run time or in its type", async () => {
    const rampart = await createRampart({ config: { secretKey: SECRET }, logger: quiet });
    try {
      assert.equal("runtime" in rampart, false);
      assert.deepEqual(Object.keys(rampart).sort(), ["api", "close", "config", "datastore", "events", "fetch", "guards", "handles"]);
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
    assert.deepEqual(seen, ["CONFIG_INVALID:SECRET_KEY", "MIGRATION_REQUIRED:0007_x", "HASH_QUEUE_FULL", "DEPENDENCY_UNAVAILABLE:session store (Redis)", "DUPLICATE:email", "BODY_TOO_LARGE:413"]);
    assert.equal(isRampartError(new Error("x")), false);
  });

  it("createRampart's configuration and migration refusals are members of the family", async () => {
    await assert.rejects(createRampart({ config: { secretKey: "short" }, logger: quiet }), (e: unknown) => isRampartError(e) && e.code === "CONFIG_INVALID");
  });

  it("the public password hasher raises the family's errors, not the crypto layer's", async () => {
    assert.throws(() => createPasswordHasher({ bcryptCost: 3 }), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key === "passwords.bcryptCost"));
    // One job runs, none may wait: the next ones are refused at once.
    const hasher = createPasswordHasher({ scheme: "bcrypt", bcryptCost: 4, maxConcurrent: 1, maxQueue: 0 });
    const results = await Promise.allSettled([hasher.hash("first password"), hasher.hash("second password"), hasher.verify("third", null)]);
    assert.equal(results[0]!.status, "fulfilled");
    for (const r of results.slice(1)) assert.ok(r.status === "rejected" && r.reason instanceof HashQueueFullError && r.reason.code === "HASH_QUEUE_FULL", String((r as PromiseRejectedResult).reason));
  });
});

