import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AppFeature } from "../../core/feature.js";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { mobileClient, mobileConfig, newUser, reasonOf } from "./testing/kit.js";

/**
 * A refresh that loses to a revocation landing between its read and its rotation (here: an app's sign-in check
 * that runs in that gap signs the user out everywhere) is told REVOKED, not GEN_MISMATCH: nobody used a copy.
 */
let revokeDuringCheck = false;
const revokesMidway: AppFeature = {
  name: "revokes-midway",
  signInChecks: () => [
    {
      name: "revokes-midway",
      async run(ctx, attempt) {
        if (revokeDuringCheck && attempt.authnVia.includes("refresh_token"))
          await ctx.rt.services.tokenFamilies!.revokeForUser(ctx.rt, attempt.user, "revoked_by_admin", {
            audit: async () => undefined,
          });
        return { kind: "continue" };
      },
    },
  ],
};

for (const dialect of flowDialects()) {
  describe(`a refresh racing a revocation (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: mobileConfig, features: [revokesMidway as never] });
    });
    after(() => app.close());

    it("answers REVOKED and audits no reuse", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Race.Revoked");
      const tokens = await m.signIn(email);
      revokeDuringCheck = true;
      try {
        assert.equal(reasonOf(await m.refresh(tokens.refresh)), "REVOKED");
      } finally {
        revokeDuringCheck = false;
      }
      assert.equal(reasonOf(await m.refresh(tokens.refresh)), "REVOKED");
      const user = (await app.rampart.api.findUser(email))!;
      const reuse = await app.rampart.api.auditEvents({ event: "refresh_token_reuse" });
      assert.equal(reuse.filter((row) => row.userId === user.id).length, 0);
    });
  });
}
