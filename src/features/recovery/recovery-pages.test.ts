import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, TEST_SECRET, type TestApp } from "../../../test/helpers/app.js";
import { TestClient } from "../../../test/helpers/client.js";
import { demoApp } from "../../server/demo-app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { RequestContext } from "../../core/context.js";
import { ConfigError } from "../../core/errors.js";
import type { Feature } from "../../core/feature.js";
import { resolveConfig } from "../../core/config/index.js";
import { recoveryFeature, recoverySlice } from "./index.js";

/** HTML forms, SPA redirects, auto-login through the pipeline, configuration. */
const PASSWORD = "correct horse battery";
const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

async function appWith(config: Record<string, unknown> = {}, features: Feature[] = []): Promise<TestApp> {
  const app = await createTestApp({
    mail: true,
    config: { ...config, recovery: { enabled: true, ...(config.recovery as object) } },
    features: [recoveryFeature, ...features],
  });
  apps.push(app);
  await app.rampart.api.createUser({ email: "alice@lp.test", password: PASSWORD });
  return app;
}

const csrfIn = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? "";

async function mailedPath(app: TestApp, c: TestClient): Promise<string> {
  const r = await c.post("/reset", { json: { email: "alice@lp.test" }, headers: { "x-csrf-token": await c.csrf() } });
  assert.equal(r.status, 200);
  const mail = await app.sink.waitFor((m) => m.subject === "Password reset instructions");
  return new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
}

describe("recovery: HTML forms", () => {
  it("forgot form → mail → link page → mistakes re-render → success redirects to sign in with a flash; the used link bounces", async () => {
    const app = await appWith();
    const c = app.client();
    const forgot = await c.get("/reset");
    assert.equal(forgot.status, 200);
    assert.match(forgot.headers.get("content-type")!, /text\/html/);
    assert.match(forgot.body, /id="forgot-password-form"/);
    const asked = await c.post("/reset", { form: { email: "alice@lp.test", csrf_token: csrfIn(forgot.body) } });
    assert.equal(asked.status, 302);
    const mail = await app.sink.waitFor((m) => m.subject === "Password reset instructions");
    const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;

    const browser = app.client();
    const page = await browser.get(path);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.match(page.headers.get("content-security-policy")!, /frame-ancestors 'none'/);
    assert.ok(page.body.includes(`action="${path}"`));
    const mismatch = await browser.post(path, {
      form: { password: "form new secret", password_confirm: "form new secrets", csrf_token: csrfIn(page.body) },
    });
    assert.equal(mismatch.status, 200);
    assert.match(mismatch.body, /Passwords do not match/);
    assert.equal(mismatch.headers.get("referrer-policy"), "no-referrer");
    const done = await browser.post(path, {
      form: { password: "form new secret", password_confirm: "form new secret", csrf_token: csrfIn(mismatch.body) },
    });
    assert.equal(done.status, 302);
    assert.equal(done.location, "/login");
    assert.match(
      (await browser.get("/login")).body,
      /You successfully reset your password\. Please authenticate using your new password\./,
    );
    assert.equal((await browser.get("/api/protected", { acceptJson: true })).status, 401);
    assert.equal((await app.client().login("alice@lp.test", "form new secret")).status, 200);

    const again = await browser.get(path);
    assert.equal(again.location, "/reset");
    const bounced = await browser.post(path, {
      form: { password: "x new secret", password_confirm: "x new secret", csrf_token: csrfIn(page.body) },
    });
    assert.equal(bounced.status, 302);
    assert.match((await browser.get("/reset")).body, /Invalid reset password token\./);
  });

  it("a form post without a CSRF token is refused and changes nothing", async () => {
    const app = await appWith();
    const path = await mailedPath(app, app.client());
    const r = await app
      .client()
      .post(path, { form: { password: "csrf less secret", password_confirm: "csrf less secret" } });
    assert.equal(r.status, 400);
    assert.equal((await app.client().login("alice@lp.test", PASSWORD)).status, 200);
  });
});

describe("recovery: SPA mode", () => {
  it("a valid link redirects to RESET_VIEW with the token only; a bad one to RESET_ERROR_VIEW with the message", async () => {
    const app = await appWith({
      urls: { redirectBehavior: "spa" },
      recovery: { resetView: "/ui/reset", resetErrorView: "/ui/reset-error" },
    });
    const path = await mailedPath(app, app.client());
    const token = path.split("/reset/")[1]!;
    const ok = await app.client().get(path);
    assert.equal(ok.status, 302);
    assert.equal(ok.location, `/ui/reset?token=${token}`);
    assert.ok(!ok.location!.includes("alice"));
    assert.equal(ok.headers.get("referrer-policy"), "no-referrer");
    const bad = await app.client().get("/reset/nonsense");
    assert.equal(bad.location, "/ui/reset-error?error=Invalid+reset+password+token.");
    const c = app.client();
    const done = await c.post(path, {
      json: { password: "spa new secret", password_confirm: "spa new secret" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(done.status, 200);
    assert.deepEqual(done.json.response, {});
  });

  it("SPA mode without the views is a configuration error", () => {
    assert.throws(
      () =>
        resolveConfig(
          {
            secretKey: TEST_SECRET,
            baseUrl: "https://app.test",
            urls: { redirectBehavior: "spa" },
            recovery: { enabled: true },
          },
          [],
          [recoverySlice],
        ),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.issues.some((i) => i.key.includes("recovery.resetView")) &&
        e.issues.some((i) => i.key.includes("recovery.resetErrorView")),
    );
  });
});

describe("recovery: AUTO_LOGIN_AFTER_RESET", () => {
  it("signs in through the pipeline: user, csrf_token, tf_required and a token on request", async () => {
    const app = await appWith({ recovery: { autoLoginAfterReset: true } });
    const path = await mailedPath(app, app.client());
    const c = app.client();
    const r = await c.post(`${path}?include_auth_token`, {
      json: { password: "auto new secret", password_confirm: "auto new secret" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "tf_required", "user"]);
    assert.equal(r.json.response.user.email, "alice@lp.test");
    assert.equal(typeof r.json.response.user.authentication_token, "string");
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    const audit = await app.rampart.api.auditEvents({ event: "login" });
    assert.ok(audit.some((e) => e.outcome === "success" && JSON.stringify(e.details?.via) === '["reset"]'));
  });

  it("a second factor still applies: an interrupting check answers its payload and signs nobody in", async () => {
    const tf: Feature = {
      name: "test-2fa",
      signInChecks: () => [
        {
          name: "test-second-factor",
          run: async () => ({
            kind: "interrupt",
            response: { tf_required: true, tf_state: "ready", tf_method: "authenticator" },
          }),
        },
      ],
    };
    const app = await appWith({ recovery: { autoLoginAfterReset: true } }, [tf]);
    const path = await mailedPath(app, app.client());
    const c = app.client();
    const r = await c.post(`${path}?include_auth_token`, {
      json: { password: "tf new secret", password_confirm: "tf new secret" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.response.tf_required, true);
    assert.equal(r.json.response.user, undefined);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });
});

describe("recovery: configuration and composition", () => {
  it("RECOVERABLE outside development needs baseUrl (emailed links never use the request's Host)", () => {
    const check = (input: Record<string, unknown>) => () =>
      resolveConfig({ secretKey: TEST_SECRET, ...input }, [], [recoverySlice]);
    assert.throws(
      check({ recovery: { enabled: true } }),
      (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.key.includes("baseUrl")),
    );
    assert.doesNotThrow(check({ recovery: { enabled: true }, development: true }));
    assert.doesNotThrow(check({ recovery: { enabled: false } }));
    assert.doesNotThrow(check({ recovery: { enabled: true }, baseUrl: "https://app.test" }));
  });

  it("mailed links use the configured origin even when the request came in under another Host", async () => {
    const app = await appWith();
    const spoofed = new TestClient(demoApp(app.rampart), "https://evil.test");
    const csrf = (await spoofed.get("/reset", { acceptJson: true })).json.response.csrf_token;
    const r = await spoofed.post("/reset", {
      json: { email: "alice@lp.test" },
      headers: { "x-csrf-token": csrf, "x-forwarded-host": "evil.test" },
    });
    assert.equal(r.status, 200);
    const mail = await app.sink.waitFor((m) => m.subject === "Password reset instructions");
    const links = linksIn(mail);
    assert.ok(links.length > 0 && links.every((u) => u.startsWith("https://app.test/reset/")), links.join(" "));
    assert.ok(!mail.raw.includes("evil.test"));
  });

  it("is off by default: no routes, no service", async () => {
    const app = await createTestApp({ features: [recoveryFeature] });
    apps.push(app);
    assert.equal((await app.client().get("/reset", { acceptJson: true })).status, 404);
    assert.equal(app.runtime.services.recovery, undefined);
  });

  it("offers services.recovery: a working link, its lifetime and the forgot URL on the configured origin", async () => {
    const app = await appWith({ recovery: { resetUrl: "/forgot" } });
    const service = app.runtime.services.recovery!;
    assert.equal(service.within, "1 day");
    const user = (await app.rampart.api.findUser("alice@lp.test"))!;
    const probe = new RequestContext(
      app.runtime,
      new Request("https://evil.test/x", { headers: { "x-forwarded-host": "evil.test" } }),
    );
    assert.equal(service.forgotUrl(probe), "https://app.test/forgot");
    const link = service.link(probe, user);
    assert.ok(link.url.startsWith("https://app.test/forgot/"));
    const c = app.client();
    const r = await c.post(new URL(link.url).pathname, {
      json: { password: "service secret", password_confirm: "service secret" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 200);
    assert.equal((await app.client().login("alice@lp.test", "service secret")).status, 200);
  });
});
