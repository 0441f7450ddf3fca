import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import type { HookInput } from "../../core/events.js";
import { finishSignin, passkeySignin, signedIn, startSignin, userWithPasskey } from "./testing/signin-kit.js";

/**
 * The app's wan_signin hooks: a `before` veto keeps the passkey's owner from signing in (the veto's status and
 * message, nobody signed in); the `after` hook runs once the sign-in is made.
 */
describe("passkey sign-in runs the wan_signin hooks", () => {
  let app: TestApp;
  const afters: string[] = [];
  before(async () => {
    app = await createTestApp({
      config: { webauthn: { enabled: true } },
      hooks: {
        before: {
          wan_signin: (h: HookInput) =>
            h.user?.email.startsWith("held.") ? { message: "Not today.", code: "HELD", status: 403 } : undefined,
        },
        after: { wan_signin: (h: HookInput) => void afters.push(h.user?.email ?? "?") },
      },
    });
  });
  after(() => app.close());

  it("a before veto refuses the sign-in; the after hook sees a completed one", async () => {
    const held = await userWithPasskey(app, "held.owner@example.test");
    const c = app.client();
    const { options, state, csrf } = await startSignin(c);
    const refused = await finishSignin(c, state, csrf, held.auth.get(options));
    assert.equal(refused.status, 403, refused.body);
    assert.deepEqual(refused.json.response.errors, ["Not today."]);
    assert.equal(await signedIn(c), false);
    assert.deepEqual(afters, []);

    const free = await userWithPasskey(app, "free.owner@example.test");
    const d = app.client();
    assert.equal((await passkeySignin(d, free.auth)).status, 200);
    assert.deepEqual(afters, ["free.owner@example.test"]);
  });
});
