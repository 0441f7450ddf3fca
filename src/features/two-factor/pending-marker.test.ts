import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { reencodeSignature } from "../../../test/helpers/noncanonical.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/**
 * The pending-two-factor cookie completes one sign-in. A copy whose signature is spelled differently (same
 * bytes, e.g. the last base64url character's unused bits flipped) is the same cookie: refused after use, and
 * never a second, unused marker.
 */
for (const dialect of flowDialects()) {
  describe(`pending two-factor cookie: one use, whatever its spelling (${dialect})`, () => {
    let t: TfApp;
    let secret: string;
    before(async () => {
      t = await createTfApp(dialect);
      secret = await enrolAuthenticator(t, "Re-Encode.User+tf@Sub.X.test");
    });
    after(() => t.app.close());

    it("after a completed sign-in, a re-encoded copy of its pending cookie plus a fresh code signs nobody in", async () => {
      toStepStart(t);
      const c = t.app.client();
      const login = await loginPending(c, "re-encode.user+tf@sub.x.test", "ready");
      const pending = c.jar.get("__Host-rampart_tf")!;
      assert.equal((await validate(c, login.json.response.csrf_token, oath(t, secret))).status, 200);

      t.advance(30);
      const thief = t.app.client();
      const csrf = await thief.csrf();
      const variant = reencodeSignature(pending);
      assert.notEqual(variant, pending);
      const replay = await thief.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": csrf, cookie: `${thief.cookieHeader()}; __Host-rampart_tf=${variant}` },
      });
      assert.equal(replay.status, 400, replay.body);
      assert.deepEqual(replay.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal((await thief.get("/api/protected", { acceptJson: true })).status, 401, "nobody signed in");

      // The cookie as it was issued is spent too: its single-use marker, not only the spelling check, refuses it.
      t.advance(30);
      const again = t.app.client();
      const replayed = await again.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: {
          "x-csrf-token": await again.csrf(),
          cookie: `${again.cookieHeader()}; __Host-rampart_tf=${pending}`,
        },
      });
      assert.equal(replayed.status, 400, replayed.body);
      assert.deepEqual(replayed.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal(
        (await again.get("/api/protected", { acceptJson: true })).status,
        401,
        "nobody signed in with the spent cookie",
      );
    });

    it("a re-encoded pending cookie is not even readable (GET /tf-validate → permission denied)", async () => {
      toStepStart(t);
      const c = t.app.client();
      await loginPending(c, "re-encode.user+tf@sub.x.test", "ready");
      const variant = reencodeSignature(c.jar.get("__Host-rampart_tf")!);
      const r = await t.app
        .client()
        .get("/tf-validate", { acceptJson: true, headers: { cookie: `__Host-rampart_tf=${variant}` } });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });
  });
}
