import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestApp } from "../../../test/helpers/app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { resolveConfig } from "../../core/config/index.js";
import { ConfigError } from "../../core/errors.js";
import { builtinFeatures, configSlices } from "../../create-rampart.js";
import { signupApp } from "./testing/signup-kit.js";

/** Passkey sign-up in a browser without script help (HTML forms), and the configuration it needs. */
const csrfFrom = (html: string): string => html.match(/name="csrf_token" value="([^"]+)"/)![1]!;
const decode = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

describe("passkey sign-up pages (HTML forms)", () => {
  let app: TestApp;
  before(async () => {
    app = await signupApp("sqlite", { confirmation: false });
  });
  after(() => app.close());

  it("form → ceremony page (options, script, action <url>/<state>) → the recovery codes page; signed in", async () => {
    const c = app.client();
    const page = await c.get("/wan-signup");
    assert.equal(page.status, 200);
    assert.match(page.body, /id="wan-signup-form"/);
    assert.match(page.body, /name="name"/);
    const ceremony = await c.post("/wan-signup", {
      form: { csrf_token: csrfFrom(page.body), email: "Form.User+1@Sub.Example.test", name: "Phone" },
    });
    assert.equal(ceremony.status, 200, ceremony.body);
    assert.match(ceremony.body, /data-wan-ceremony="register"/);
    assert.match(ceremony.body, /<script nonce="[^"]+">/, "the browser script under the CSP nonce");
    const options = JSON.parse(
      ceremony.body.match(/<script type="application\/json" data-wan-options>(.*?)<\/script>/s)![1]!,
    );
    assert.equal(options.rp.id, "app.test");
    const action = decode(ceremony.body.match(/<form method="post" action="([^"]+)" data-wan-ceremony/)![1]!);
    assert.match(action, /^\/wan-signup\/[^/]+$/);
    const auth = new SoftAuthenticator({ origin: "https://app.test", uv: true });
    const done = await c.post(action, {
      form: { csrf_token: csrfFrom(ceremony.body), credential: JSON.stringify(auth.create(options)) },
    });
    assert.equal(done.status, 200, done.body);
    const codes = [...done.body.matchAll(/<li><code>([0-9a-f-]+)<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 5);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);

    // The same state again (another, anonymous browser): back to the form with "start over".
    const other = app.client();
    const otherPage = await other.get("/wan-signup");
    const replay = await other.post(action, {
      form: { csrf_token: csrfFrom(otherPage.body), credential: JSON.stringify(auth.create(options)) },
    });
    assert.equal(replay.status, 302);
    assert.match(replay.location ?? "", /\/wan-signup$/);
    assert.match((await other.get("/wan-signup")).body, /must be completed within/);
  });

  it("a bad email shows the form again with the message, nothing created", async () => {
    const c = app.client();
    const page = await c.get("/wan-signup");
    const again = await c.post("/wan-signup", {
      form: { csrf_token: csrfFrom(page.body), email: "no-at-sign", name: "" },
    });
    assert.equal(again.status, 200);
    assert.match(again.body, /id="wan-signup-form"/);
    assert.match(again.body, /aria-invalid="true"/);
    assert.match(again.body, /value="no-at-sign"/);
  });

  it("without a CSRF token the form post is refused", async () => {
    const r = await app.client().post("/wan-signup", { form: { email: "x@example.test" } });
    assert.equal(r.status, 400);
  });
});

describe("passkey sign-up configuration", () => {
  const issues = (input: Record<string, unknown>) => {
    try {
      resolveConfig(
        {
          secretKey: "k".repeat(40),
          baseUrl: "https://app.test",
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Test" },
          ...input,
        },
        [],
        configSlices([...builtinFeatures]),
      );
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.issues.map((i) => `${i.key}: ${i.message}`);
    }
  };

  it("RAMPART_WAN_SIGNUP needs registration and recovery codes; with them it starts", () => {
    const alone = issues({ webauthn: { enabled: true, signup: true } });
    assert.ok(
      alone.some((m) => /needs SECURITY_REGISTERABLE/.test(m)),
      alone.join("\n"),
    );
    assert.ok(
      alone.some((m) => /SECURITY_MULTI_FACTOR_RECOVERY_CODES/.test(m)),
      alone.join("\n"),
    );
    assert.deepEqual(
      issues({
        webauthn: { enabled: true, signup: true },
        registration: { enabled: true },
        twoFactor: { enabled: true, recoveryCodes: true },
      }),
      [],
    );
  });

  it("a passkey-name category the regex engine does not know is a configuration issue, not a 500 later", () => {
    const found = issues({ webauthn: { enabled: true, nameAllowedChars: ["L", "Xx"] } });
    // Refused by the key's schema (the list of general categories), naming the key.
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0]!, /^webauthn\.nameAllowedChars/);
    assert.match(found[0]!, /"Lu"/);
    assert.deepEqual(issues({ webauthn: { enabled: true, nameAllowedChars: ["L", "Lu", "Nd", "Pd", "Zs"] } }), []);
  });

  it("off by default: no /wan-signup route", async () => {
    const { createTestApp } = await import("../../../test/helpers/app.js");
    const plain = await createTestApp({ config: { webauthn: { enabled: true } } });
    try {
      assert.equal((await plain.client().get("/wan-signup", { acceptJson: true })).status, 404);
    } finally {
      await plain.close();
    }
  });
});
