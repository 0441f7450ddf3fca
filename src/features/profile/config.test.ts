import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allMeanings, configLeaves } from "../../core/config/render-reference.js";
import { configFromEnv, resolveConfig, sliceOf } from "../../core/config/index.js";
import { profileSlice } from "./config.js";

describe("profile config slice", () => {
  it("every key has a meaning and an environment name; FS names parse", () => {
    const paths = configLeaves([profileSlice])
      .map(([p]) => p)
      .filter((p) => p.startsWith("profile."));
    const meanings = allMeanings([profileSlice]);
    assert.deepEqual(
      paths.filter((p) => !meanings[p]),
      [],
    );
    const envPaths = Object.values(profileSlice.env).map(([p]) => `profile.${p}`);
    assert.deepEqual(
      paths.filter((p) => !envPaths.includes(p)),
      [],
    );
    const { config, issues } = configFromEnv(
      { SECURITY_PROFILE_ENABLE: "true", SECURITY_PROFILE_URL: "/me" },
      [],
      [profileSlice],
    );
    assert.deepEqual(issues, []);
    const resolved = sliceOf(resolveConfig({ ...config, secretKey: "k".repeat(40) }, [], [profileSlice]), profileSlice);
    assert.equal(resolved.enable, true);
    assert.equal(resolved.url, "/me");
  });
});
