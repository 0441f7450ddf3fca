import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allMeanings, configLeaves } from "../../core/config/render-reference.js";
import { configFromEnv, resolveConfig, sliceOf } from "../../core/config/index.js";
import { changeEmailSlice } from "./config.js";

describe("change-email config slice", () => {
  it("every key has a meaning and an environment name; FS names parse", () => {
    const paths = configLeaves([changeEmailSlice])
      .map(([p]) => p)
      .filter((p) => p.startsWith("changeEmail."));
    const meanings = allMeanings([changeEmailSlice]);
    assert.deepEqual(
      paths.filter((p) => !meanings[p]),
      [],
    );
    const envPaths = Object.values(changeEmailSlice.env).map(([p]) => `changeEmail.${p}`);
    assert.deepEqual(
      paths.filter((p) => !envPaths.includes(p)),
      [],
    );
    const { config, issues } = configFromEnv(
      { SECURITY_CHANGE_EMAIL: "true", SECURITY_CHANGE_EMAIL_WITHIN: "600", SECURITY_POST_CHANGE_EMAIL_VIEW: "/done" },
      [],
      [changeEmailSlice],
    );
    assert.deepEqual(issues, []);
    const resolved = sliceOf(
      resolveConfig({ ...config, secretKey: "k".repeat(40) }, [], [changeEmailSlice]),
      changeEmailSlice,
    );
    assert.equal(resolved.enable, true);
    assert.equal(resolved.withinSeconds, 600);
    assert.equal(resolved.postChangeEmailView, "/done");
    assert.equal(resolved.url, "/change-email");
  });
});
