import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allMeanings, configLeaves } from "../../core/config/render-reference.js";
import { configFromEnv, resolveConfig, sliceOf } from "../../core/config/index.js";
import { usernameFeaturesSlice } from "./config.js";

describe("username features config slice", () => {
  it("every key has a meaning and an environment name; FS names parse", () => {
    const paths = configLeaves([usernameFeaturesSlice])
      .map(([p]) => p)
      .filter((p) => p.startsWith("usernameFeatures."));
    const meanings = allMeanings([usernameFeaturesSlice]);
    assert.deepEqual(
      paths.filter((p) => !meanings[p]),
      [],
    );
    const envPaths = Object.values(usernameFeaturesSlice.env).map(([p]) => `usernameFeatures.${p}`);
    assert.deepEqual(
      paths.filter((p) => !envPaths.includes(p)),
      [],
    );
    const { config, issues } = configFromEnv(
      {
        SECURITY_USERNAME_ENABLE: "true",
        SECURITY_CHANGE_USERNAME: "true",
        SECURITY_USERNAME_RECOVERY: "1",
        SECURITY_POST_CHANGE_USERNAME_VIEW: "/done",
      },
      [],
      [usernameFeaturesSlice],
    );
    assert.deepEqual(issues, []);
    const resolved = sliceOf(
      resolveConfig({ ...config, secretKey: "k".repeat(40) }, [], [usernameFeaturesSlice]),
      usernameFeaturesSlice,
    );
    assert.equal(resolved.changeUsername, true);
    assert.equal(resolved.recovery, true);
    assert.equal(resolved.postChangeUsernameView, "/done");
    assert.equal(resolved.sendUsernameChangeEmail, true);
    assert.equal(resolved.recoveryUrl, "/recover-username");
  });
});
