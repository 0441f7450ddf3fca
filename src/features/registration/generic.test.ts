import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestApp } from "../../../test/helpers/app.js";
import type { Reply } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import type { Feature } from "../../core/feature.js";
import { resolveConfig } from "../../core/config/index.js";
import { ConfigError } from "../../core/errors.js";
import { builtinFeatures, configSlices } from "../../create-rampart.js";
import { confirmationFeature } from "../confirmation/index.js";
import { registrationFeature } from "./index.js";
import { PASSWORD, csrfFrom, flowApp, linkPath, mailTo, postJson, register, registration } from "./testing/support.js";

/** Stands in for the recovery feature: offers services.recovery so the owner's mail gets a reset link. */
const fakeRecovery: Feature = {
  name: "fake-recovery",
  provides: () => ({
    recovery: {
      link: (_ctx, user) => ({ url: `https://app.test/reset/fake-${user.id}`, token: `fake-${user.id}` }),
      within: "1 day",
      forgotUrl: () => "https://app.test/reset",
    },
  }),
};

/** The body without the (random, per-session) CSRF token. */
function comparable(r: Reply): unknown {
  const { csrf_token, ...rest } = r.json.response;
  assert.equal(typeof csrf_token, "string");
  return { status: r.status, meta: r.json.meta, response: rest };
}

describe("generic responses (default): a taken email or username looks like a fresh registration", () => {
  let app: TestApp;
  const notRegistered: { existingEmail: boolean; existingUsername: boolean }[] = [];
  before(async () => {
    app = await flowApp({ features: [fakeRecovery], config: { username: { enable: true } } });
    app.rampart.events.on(
      "user_not_registered",
      ({ existingEmail, existingUsername }) => void notRegistered.push({ existingEmail, existingUsername }),
    );
    await app.rampart.api.createUser({ email: "owner@x.test", password: PASSWORD, username: "owner1" });
    await app.rampart.api.createUser({ email: "confirmed@x.test", password: PASSWORD, confirmed: true });
  });
  after(() => app.close());

  it("taken email (any case) answers like a new address, mails the never-confirmed owner a reset link (not a confirmation link), creates nothing", async () => {
    const fresh = await register(app.client(), registration("fresh@x.test"));
    const taken = await register(app.client(), registration("OWNER@x.test"));
    assert.equal(fresh.status, 200, fresh.body);
    assert.deepEqual(comparable(taken), {
      ...(comparable(fresh) as object),
      response: { user: { email: "OWNER@x.test", username: null } },
    });
    assert.deepEqual(comparable(fresh), {
      status: 200,
      meta: { code: 200 },
      response: { user: { email: "fresh@x.test", username: null } },
    });
    assert.equal(taken.json.response.errors, undefined);
    assert.equal(await app.rampart.datastore.users.count(), 3);

    const mail = await mailTo(app, "owner@x.test");
    assert.equal(mail.subject, "Welcome");
    assert.match(mail.text, /already has an account/);
    const links = linksIn(mail);
    assert.ok(links.includes("https://app.test/login"));
    assert.ok(
      links.some((l) => l.startsWith("https://app.test/reset/fake-")),
      "reset link from services.recovery",
    );
    // Confirming would keep the first registrant's password (maybe not the owner's); a reset removes it.
    assert.ok(
      !links.some((l) => l.includes("/confirm/")),
      "never-confirmed owner with a reset to offer: no confirmation link",
    );
    assert.deepEqual(notRegistered.at(-1), { existingEmail: true, existingUsername: false });

    await register(app.client(), registration("confirmed@x.test"));
    const second = await mailTo(app, "confirmed@x.test");
    assert.ok(!linksIn(second).some((l) => l.includes("/confirm/")), "no confirmation link for a confirmed owner");
  });

  it("bodies are identical without confirmation too (fresh signs in, taken does not)", async () => {
    const plain = await flowApp({ confirmation: false, mail: false });
    try {
      await plain.rampart.api.createUser({ email: "owner@x.test", password: PASSWORD });
      const fc = plain.client();
      const tc = plain.client();
      const fresh = await register(fc, registration("fresh@x.test"));
      const taken = await register(tc, registration("owner@x.test"));
      const shape = (email: string) => ({
        status: 200,
        meta: { code: 200 },
        response: { user: { email }, tf_required: false },
      });
      assert.deepEqual(comparable(fresh), shape("fresh@x.test"));
      assert.deepEqual(comparable(taken), shape("owner@x.test"));
      assert.deepEqual(Object.keys(taken.json.response), Object.keys(fresh.json.response));
      assert.equal((await fc.get("/api/protected", { acceptJson: true })).status, 200);
      assert.equal((await tc.get("/api/protected", { acceptJson: true })).status, 401, "never signed in as the owner");
      assert.equal(
        (await plain.client().login("owner@x.test", PASSWORD)).status,
        200,
        "the owner's password is unchanged",
      );
    } finally {
      await plain.close();
    }
  });

  it("taken username: same answer; the requesting address is told the name is taken; no account", async () => {
    const fresh = await register(app.client(), registration("u1@x.test", { username: "newname" }));
    const taken = await register(app.client(), registration("u2@x.test", { username: "OWNER1" }));
    assert.deepEqual(comparable(taken), {
      ...(comparable(fresh) as object),
      response: { user: { email: "u2@x.test", username: "OWNER1" } },
    });
    const mail = await mailTo(app, "u2@x.test");
    assert.match(mail.text, /"OWNER1", which is already associated with an account/);
    assert.equal(await app.rampart.api.findUser("u2@x.test"), null);
    assert.deepEqual(notRegistered.at(-1), { existingEmail: false, existingUsername: true });
  });

  it("without password recovery, a never-confirmed owner's mail carries the confirmation link, and it works", async () => {
    const noRecovery = await flowApp({});
    try {
      await noRecovery.rampart.api.createUser({
        email: "Never-Confirmed.owner+x@Sub.Example.test",
        password: PASSWORD,
      });
      assert.equal(
        (await register(noRecovery.client(), registration("never-confirmed.owner+x@sub.example.test"))).status,
        200,
      );
      const owner = (await noRecovery.rampart.api.findUser("never-confirmed.owner+x@sub.example.test"))!;
      const mail = await mailTo(noRecovery, owner.email);
      assert.ok(
        linksIn(mail).some((l) => l.startsWith("https://app.test/confirm/")),
        linksIn(mail).join(" "),
      );
      const follow = await noRecovery.client().get(linkPath(mail));
      assert.equal(follow.location, "/login", "the owner's confirmation link works");
      assert.ok((await noRecovery.rampart.api.findUser("never-confirmed.owner+x@sub.example.test"))!.confirmedAt);
    } finally {
      await noRecovery.close();
    }
  });

  it("with the real recovery feature on, the owner's mail carries its reset link", async () => {
    const withRecovery = await flowApp({ config: { recovery: { enabled: true } } });
    try {
      await withRecovery.rampart.api.createUser({ email: "owner@x.test", password: PASSWORD, confirmed: true });
      assert.equal((await register(withRecovery.client(), registration("owner@x.test"))).status, 200);
      const links = linksIn(await mailTo(withRecovery, "owner@x.test"));
      assert.ok(
        links.some((l) => l.startsWith("https://app.test/reset/")),
        links.join(" "),
      );
    } finally {
      await withRecovery.close();
    }
  });

  it("policy errors still answer 400 for a taken email", async () => {
    const weak = await register(
      app.client(),
      registration("owner@x.test", { password: "abc", password_confirm: "abc" }),
    );
    assert.equal(weak.status, 400);
    assert.deepEqual(weak.json.response.error_codes, ["PASSWORD_INVALID_LENGTH"]);
    const mismatch = await register(app.client(), registration("owner@x.test", { password_confirm: "different one" }));
    assert.deepEqual(mismatch.json.response.error_codes, ["RETYPE_PASSWORD_MISMATCH"]);
  });

  it("HTML: a taken email redirects with the same flash as a fresh one", async () => {
    const answers: string[] = [];
    for (const email of ["html-fresh@x.test", "owner@x.test"]) {
      const c = app.client();
      const page = await c.get("/register");
      const r = await c.post("/register", {
        form: { email, password: PASSWORD, password_confirm: PASSWORD, csrf_token: csrfFrom(page.body) },
      });
      assert.equal(r.status, 302);
      const landing = await c.get("/confirm");
      answers.push(
        `${r.location} ${landing.body.match(/Thank you\. Confirmation instructions have been sent to [^<]+/)?.[0]}`,
      );
    }
    assert.deepEqual(answers, [
      "/ Thank you. Confirmation instructions have been sent to html-fresh@x.test.",
      "/ Thank you. Confirmation instructions have been sent to owner@x.test.",
    ]);
  });
});

describe("mail failure during registration", () => {
  let app: TestApp;
  before(async () => {
    app = await flowApp();
  });
  after(() => app.close());

  it("SMTP refusal: still 200, the user exists, the failure is audited; resend then works and confirms", async () => {
    app.sink.failNext(1);
    const r = await register(app.client(), registration("unlucky@x.test"));
    assert.equal(r.status, 200, r.body);
    assert.ok(await app.rampart.api.findUser("unlucky@x.test"));
    // Generic responses: the welcome mail is sent after the answer (core/deferred.ts).
    await app.runtime.deferred.drain();
    assert.equal(app.sink.messages.length, 0);
    const failed = await app.rampart.api.auditEvents({ event: "mail_failed" });
    // The outbox names the message it gave up (issue 11: mail goes through the outbox).
    assert.deepEqual(
      failed.map((e) => ({ ...e.details, outbox: typeof e.details?.outbox })),
      [{ template: "welcome", outbox: "string" }],
    );

    const resend = await postJson(app.client(), "/confirm", { email: "unlucky@x.test" });
    assert.equal(resend.status, 200);
    const mail = await mailTo(app, "unlucky@x.test", "Please confirm your email");
    assert.equal((await app.client().get(linkPath(mail))).status, 302);
    assert.equal((await app.client().login("unlucky@x.test", PASSWORD)).status, 200);
  });
});

describe("configuration", () => {
  const issues = (input: Record<string, unknown>, features: Feature[]) => {
    try {
      resolveConfig({ secretKey: "k".repeat(40), ...input }, [], configSlices([...builtinFeatures, ...features]));
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.issues;
    }
  };
  const message = "RAMPART_BASE_URL is required: emailed links must not be built from the Host header";

  it("registration or confirmation without a base URL refuses to start (outside development), naming baseUrl once", () => {
    assert.deepEqual(issues({ registration: { enabled: true } }, [registrationFeature]), [
      { key: "RAMPART_BASE_URL (baseUrl)", message },
    ]);
    assert.deepEqual(issues({ confirmation: { enabled: true } }, [confirmationFeature]), [
      { key: "RAMPART_BASE_URL (baseUrl)", message },
    ]);
    assert.deepEqual(
      issues({ registration: { enabled: true }, confirmation: { enabled: true } }, [
        registrationFeature,
        confirmationFeature,
      ]),
      [{ key: "RAMPART_BASE_URL (baseUrl)", message }],
    );
    assert.deepEqual(
      issues({ registration: { enabled: true }, baseUrl: "https://app.example" }, [registrationFeature]),
      [],
    );
    assert.deepEqual(issues({ registration: { enabled: true }, development: true }, [registrationFeature]), []);
    assert.deepEqual(issues({}, [registrationFeature, confirmationFeature]), [], "off: nothing required");
  });
});
