import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as rampartPackage from "../src/index.js";
import { createRampart, type Rampart } from "../src/index.js";

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
