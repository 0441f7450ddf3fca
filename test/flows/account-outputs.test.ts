import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createTestApp, type TestApp } from "../helpers/app.js";
import type { DeclaredRoute } from "../../src/core/define-route.js";
import { changeEmailFeature } from "../../src/features/change-email/index.js";
import { getChangeEmailRoute, postChangeEmailRoute } from "../../src/features/change-email/change-email.js";
import { usernameFeature } from "../../src/features/username/index.js";
import { getChangeUsernameRoute, postChangeUsernameRoute } from "../../src/features/username/change-username.js";
import { getRecoverUsernameRoute, postRecoverUsernameRoute } from "../../src/features/username/recover-username.js";
import { profileFeature } from "../../src/features/profile/index.js";
import { getProfileRoute, putProfileRoute } from "../../src/features/profile/profile.js";

/** The account routes' declared `output` schemas hold for their live JSON answers (what /openapi.json will say). */
const PASSWORD = "correct horse battery";
const EMAIL = "Jo.Ann-Smith+test@Mail.Example-Sub.test";

const matches = (route: DeclaredRoute, response: unknown, what: string) => {
  const parsed = route.output!.safeParse(response);
  assert.ok(parsed.success, `${what}: ${parsed.success ? "" : z.prettifyError(parsed.error)}`);
};

describe("account routes answer what they declare", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      mail: true,
      config: {
        changeEmail: { enable: true },
        username: { enable: true },
        usernameFeatures: { changeUsername: true, recovery: true },
      },
      features: [changeEmailFeature, usernameFeature, profileFeature],
      userFields: { nickname: { schema: z.string().max(20).nullable() } },
    });
    await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
  });
  after(() => app.close());

  it("change email, change username, profile (signed in) and recover username (anonymous)", async () => {
    const c = app.client();
    const login = await c.login(EMAIL, PASSWORD);
    assert.equal(login.status, 200, login.body);
    const headers = { "x-csrf-token": login.json.response.csrf_token as string };

    const ceForm = await c.get("/change-email", { acceptJson: true });
    matches(getChangeEmailRoute("/change-email"), ceForm.json.response, "GET /change-email");
    const ceSent = await c.post("/change-email", { json: { email: "New.Address+x@Other-Host.example.test" }, headers });
    assert.equal(ceSent.status, 200, ceSent.body);
    matches(postChangeEmailRoute("/change-email"), ceSent.json.response, "POST /change-email");

    const cuForm = await c.get("/change-username", { acceptJson: true });
    assert.equal(cuForm.json.response.current_username, null);
    matches(getChangeUsernameRoute("/change-username"), cuForm.json.response, "GET /change-username (no username yet)");
    const cuDone = await c.post("/change-username", { json: { username: "JoAnn42" }, headers });
    assert.equal(cuDone.status, 200, cuDone.body);
    matches(postChangeUsernameRoute("/change-username"), cuDone.json.response, "POST /change-username");
    matches(
      getChangeUsernameRoute("/change-username"),
      (await c.get("/change-username", { acceptJson: true })).json.response,
      "GET /change-username",
    );

    matches(getProfileRoute("/profile"), (await c.get("/profile", { acceptJson: true })).json.response, "GET /profile");
    const put = await c.request("PUT", "/profile", { json: { nickname: "jo" }, headers });
    assert.equal(put.status, 200, put.body);
    matches(putProfileRoute("/profile"), put.json.response, "PUT /profile");

    const anon = app.client();
    const ruForm = await anon.get("/recover-username", { acceptJson: true });
    matches(getRecoverUsernameRoute("/recover-username"), ruForm.json.response, "GET /recover-username");
    const ruSent = await anon.post("/recover-username", {
      json: { email: EMAIL },
      headers: { "x-csrf-token": ruForm.json.response.csrf_token },
    });
    assert.equal(ruSent.status, 200, ruSent.body);
    matches(postRecoverUsernameRoute("/recover-username"), ruSent.json.response, "POST /recover-username");
  });
});
