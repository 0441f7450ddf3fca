import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRampart, type Rampart } from "../../create-rampart.js";
import { demoApp } from "../../server/demo-app.js";
import { createTestApp, flowDialects, TEST_SECRET, type TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { mobileClient, mobileConfig, newUser, PASSWORD } from "./testing/kit.js";

/**
 * Refresh tokens turned off (say, during an incident): nothing can tell a family is still live, so an access token
 * bound to one is refused, also when its family was revoked while the feature was on. Tokens without a family work.
 */
for (const dialect of flowDialects()) {
  describe(`access tokens of a family with refresh tokens off (${dialect})`, () => {
    let app: TestApp;
    let off: Rampart;
    before(async () => {
      app = await createTestApp({ dialect, config: mobileConfig });
      // The same database and secret, the feature off: as the same deployment restarted with it switched off.
      off = await createRampart({
        database: app.runtime.datastore,
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          ...mobileConfig,
          refreshTokens: { enabled: false },
        },
      });
    });
    after(async () => {
      await off?.close();
      await app?.close();
    });

    const useOff = async (token: string) =>
      (
        await new TestClient(demoApp(off)).get("/api/protected", {
          headers: { "authentication-token": token },
          acceptJson: true,
        })
      ).status;

    it("a family-bound access token, revoked at logout while the feature was on, is refused; a plain token works", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Feature.Off");
      const bound = await m.signIn(email);
      const out = await m.send("POST", "/logout", {
        json: { refresh_token: bound.refresh },
        headers: { "authentication-token": bound.access },
      });
      assert.equal(out.status, 200, out.body);
      assert.equal(await m.use(bound.access), 401, "refused with the feature on");
      assert.equal(await useOff(bound.access), 401, "and with it off");

      const plain = await new TestClient(demoApp(off)).post("/login?include_auth_token", {
        json: { email, password: PASSWORD },
      });
      assert.equal(plain.status, 200, plain.body);
      assert.equal(await useOff(plain.json.response.user.authentication_token), 200);
    });
  });
}
