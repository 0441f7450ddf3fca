import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import type { Feature } from "../../core/feature.js";
import { signLinkToken } from "../../kit/link-tokens.js";
import { recoveryFeature } from "./index.js";

/** The error rows of /reset and /reset/<token>, generic vs specific answers, expiry and mail failures. */
const PASSWORD = "correct horse battery";
const SUBJECT = "Password reset instructions";

/** Stands in for the confirmation feature: users without confirmed_at must confirm first. */
const confirmation: Feature = {
  name: "test-confirmation",
  provides: () => ({
    confirmation: {
      pending: (u) => u.confirmedAt === null,
      link: () => ({ url: "https://app.test/confirm/x", token: "x" }),
      within: "2 days",
    },
  }),
};

async function seed(app: TestApp): Promise<void> {
  await app.rampart.api.createUser({ email: "known@lp.test", password: PASSWORD, confirmed: true });
  await app.rampart.api.createUser({ email: "off@lp.test", password: PASSWORD, confirmed: true, active: false });
  await app.rampart.api.createUser({ email: "new@lp.test", password: PASSWORD });
}

async function forgot(c: TestClient, body: unknown): Promise<Reply> {
  return c.post("/reset", { json: body, headers: { "x-csrf-token": await c.csrf() } });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
/** Waits for all the requests started (work after the answer, the outbox): "no other mail" is then exact. */
const settled = async (app: TestApp) => {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
};

describe("recovery: specific answers (RETURN_GENERIC_RESPONSES off)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      mail: true,
      config: { recovery: { enabled: true }, returnGenericResponses: false },
      features: [recoveryFeature, confirmation],
    });
    await seed(app);
  });
  after(() => app.close());

  it("an eligible account gets 200 {csrf_token} and the mail; every refusal names its reason on `email`", async () => {
    const ok = await forgot(app.client(), { email: "KNOWN@lp.test" });
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.json.response), ["csrf_token"]);
    await app.sink.waitFor((m) => m.envelopeTo.includes("known@lp.test") && m.subject === SUBJECT);
    const cases: [unknown, string, string][] = [
      [{ email: "nobody@lp.test" }, "USER_DOES_NOT_EXIST", "Specified user does not exist"],
      [{ email: "off@lp.test" }, "DISABLED_ACCOUNT", "Account is disabled."],
      [{ email: "new@lp.test" }, "CONFIRMATION_REQUIRED", "Email requires confirmation."],
      [{ email: "dude" }, "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      [{ email: "victim@lp.test\r\nBcc: evil@evil.test" }, "INVALID_EMAIL_ADDRESS", "Invalid email address"],
      [{}, "EMAIL_NOT_PROVIDED", "Email not provided"],
    ];
    for (const [body, code, text] of cases) {
      const r = await forgot(app.client(), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json.response.field_errors, { email: [text] });
      assert.deepEqual(r.json.response.errors, [text]);
      assert.deepEqual(r.json.response.error_codes, [code]);
    }
    const wrongType = await forgot(app.client(), { email: { not: "a string" } });
    assert.equal(wrongType.status, 400);
    assert.deepEqual(wrongType.json.response.error_codes, ["API_ERROR"]);
    await settled(app);
    assert.equal(
      app.sink.messages.filter((m) => m.subject === SUBJECT).length,
      1,
      "only the eligible account got mail",
    );
    const refusals = (await app.rampart.api.auditEvents({ event: "reset_password_instructions_sent" })).filter(
      (e) => e.outcome === "failure",
    );
    assert.deepEqual(refusals.map((e) => e.details?.reason).sort(), [
      "CONFIRMATION_REQUIRED",
      "DISABLED_ACCOUNT",
      "USER_DOES_NOT_EXIST",
    ]);
  });

  it("a signed-in user may ask for a link too (FS 5.7)", async () => {
    const c = app.client();
    await c.login("known@lp.test", PASSWORD);
    app.sink.clear();
    const r = await forgot(c, { email: "known@lp.test" });
    assert.equal(r.status, 200);
    await app.sink.waitFor((m) => m.envelopeTo.includes("known@lp.test"));
  });

  it("an SMTP failure still answers 200, is audited, and asking again works", async () => {
    app.sink.clear();
    app.sink.failNext(1);
    const r = await forgot(app.client(), { email: "known@lp.test" });
    assert.equal(r.status, 200);
    const failed = await app.rampart.api.auditEvents({ event: "mail_failed" });
    assert.ok(failed.some((e) => e.identity === "known@lp.test" && e.details?.template === "reset_instructions"));
    assert.equal((await forgot(app.client(), { email: "known@lp.test" })).status, 200);
    await app.sink.waitFor((m) => m.envelopeTo.includes("known@lp.test") && m.subject === SUBJECT);
  });
});

describe("recovery: generic answers (the default)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      mail: true,
      config: { recovery: { enabled: true } },
      features: [recoveryFeature, confirmation],
    });
    await seed(app);
  });
  after(() => app.close());

  const shape = (r: Reply) => ({
    status: r.status,
    keys: Object.keys(r.json.response),
    cookies: r.setCookies.map((s) => s.split("=")[0]).sort(),
    headers: [...r.headers.keys()].sort(),
  });

  it("known, unknown, inactive and unconfirmed addresses get identical answers; only the real account gets mail", async () => {
    app.sink.clear();
    const answers = [];
    for (const email of ["known@lp.test", "nobody@lp.test", "off@lp.test", "new@lp.test"])
      answers.push(shape(await forgot(app.client(), { email })));
    for (const a of answers.slice(1)) assert.deepEqual(a, answers[0]);
    assert.deepEqual(answers[0]!.keys, ["csrf_token"]);
    await app.sink.waitFor((m) => m.envelopeTo.includes("known@lp.test"));
    await settled(app);
    assert.deepEqual(
      app.sink.messages.map((m) => m.envelopeTo.join()),
      ["known@lp.test"],
    );
  });

  it("form posts look the same too: one redirect and the same generic flash", async () => {
    const pages: string[] = [];
    for (const email of ["known@lp.test", "nobody@lp.test"]) {
      const c = app.client();
      const r = await c.post("/reset", { form: { email, csrf_token: await c.csrf() } });
      assert.equal(r.status, 302);
      assert.equal(r.location, "/reset");
      const page = await c.get("/reset");
      assert.match(page.body, /If that email address is in our system, you will receive an email/);
      // What differs by design between any two answers: the CSRF token and the CSP nonce.
      pages.push(page.body.replace(/name="csrf_token" value="[^"]+"/, "").replaceAll(/ nonce="[^"]+"/g, ""));
    }
    assert.equal(pages[0], pages[1]);
  });

  it("the answer never waits for mail delivery (its duration would reveal the account)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const delivered: string[] = [];
    const slow = await createTestApp({
      config: { recovery: { enabled: true } },
      features: [recoveryFeature],
      mailTransport: { send: async (m) => void (await gate, delivered.push(m.to)) },
    });
    try {
      await slow.rampart.api.createUser({ email: "known@lp.test", password: PASSWORD });
      const r = await forgot(slow.client(), { email: "known@lp.test" });
      assert.equal(r.status, 200, "answered while the transport is still blocked");
      assert.deepEqual(delivered, []);
      release();
      for (let i = 0; i < 50 && !delivered.length; i++) await settle();
      assert.deepEqual(delivered, ["known@lp.test"]);
    } finally {
      release();
      await slow.close();
    }
  });

  it("a mail failure is invisible to the caller", async () => {
    app.sink.clear();
    app.sink.failNext(1);
    assert.equal((await forgot(app.client(), { email: "known@lp.test" })).status, 200);
    for (let i = 0; i < 50 && !(await app.rampart.api.auditEvents({ event: "mail_failed" })).length; i++)
      await settle();
    assert.equal((await app.rampart.api.auditEvents({ event: "mail_failed" })).length, 1);
  });
});

describe("recovery: bad, expired and misused links", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ mail: true, config: { recovery: { enabled: true } }, features: [recoveryFeature] });
    await app.rampart.api.createUser({ email: "known@lp.test", password: PASSWORD });
  });
  after(() => app.close());

  const linkFor = async (email: string): Promise<string> => {
    app.sink.clear();
    assert.equal((await forgot(app.client(), { email })).status, 200);
    const mail = await app.sink.waitFor((m) => m.envelopeTo.includes(email) && m.subject === SUBJECT);
    return new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
  };
  const submit = async (path: string, body: Record<string, unknown>) => {
    const c = app.client();
    return c.post(path, { json: body, headers: { "x-csrf-token": await c.csrf() } });
  };

  it("garbage, tampered and other-purpose tokens are invalid, on GET and POST", async () => {
    const path = await linkFor("known@lp.test");
    const user = (await app.rampart.api.findUser("known@lp.test"))!;
    const confirmToken = signLinkToken(app.runtime, "confirm", [user.fsUniquifier, "x"]);
    const tampered = path.slice(0, -3) + (path.endsWith("AAA") ? "BBB" : "AAA");
    for (const bad of ["/reset/garbage", "/reset/a.b", tampered, `/reset/${confirmToken}`]) {
      const r = await submit(bad, { password: "a new secret pw", password_confirm: "a new secret pw" });
      assert.equal(r.status, 400, bad);
      assert.deepEqual(r.json.response.errors, ["Invalid reset password token."]);
      assert.deepEqual(r.json.response.field_errors, { "": ["Invalid reset password token."] });
      const c = app.client();
      const g = await c.get(bad);
      assert.equal(g.status, 302);
      assert.equal(g.location, "/reset");
      assert.match((await c.get("/reset")).body, /Invalid reset password token\./);
    }
    assert.equal((await app.client().login("known@lp.test", PASSWORD)).status, 200, "nothing changed");
  });

  it("field errors leave the link usable", async () => {
    const path = await linkFor("known@lp.test");
    const cases: [Record<string, unknown>, Record<string, string[]>][] = [
      [{ password: "", password_confirm: "" }, { password: ["Password not provided"] }],
      [
        { password: "a new secret pw", password_confirm: "another one!!" },
        { password_confirm: ["Passwords do not match"] },
      ],
      [{ password: "a new secret pw" }, { password_confirm: ["Passwords do not match"] }],
      [{ password: "abc", password_confirm: "abc" }, { password: ["Password must be at least 8 characters"] }],
    ];
    for (const [body, fieldErrors] of cases) {
      const r = await submit(path, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json.response.field_errors, fieldErrors);
    }
    assert.equal((await submit(path, { password: ["x"], password_confirm: "x" })).status, 400);
    assert.equal(
      (await submit(path, { password: "a new secret pw", password_confirm: "a new secret pw" })).status,
      200,
    );
    assert.equal((await app.client().login("known@lp.test", "a new secret pw")).status, 200);
  });

  it("an expired link says so and changes nothing; a new request works", async () => {
    await app.rampart.api.createUser({ email: "late@lp.test", password: PASSWORD });
    const path = await linkFor("late@lp.test");
    app.advance(24 * 60 * 60 + 1);
    const r = await submit(path, { password: "too late secret", password_confirm: "too late secret" });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.response.errors, ["You did not reset your password within 1 day."]);
    assert.deepEqual(r.json.response.error_codes, ["PASSWORD_RESET_EXPIRED"]);
    const c = app.client();
    assert.equal((await c.get(path)).location, "/reset");
    assert.match((await c.get("/reset")).body, /You did not reset your password within 1 day\./);
    assert.equal((await app.client().login("late@lp.test", PASSWORD)).status, 200);
    const fresh = await linkFor("late@lp.test");
    assert.equal((await submit(fresh, { password: "in time secret", password_confirm: "in time secret" })).status, 200);
  });

  it("a link of a since deactivated account is refused", async () => {
    await app.rampart.api.createUser({ email: "gone@lp.test", password: PASSWORD });
    const path = await linkFor("gone@lp.test");
    await app.rampart.api.deactivateUser((await app.rampart.api.findUser("gone@lp.test"))!);
    const r = await submit(path, { password: "a new secret pw", password_confirm: "a new secret pw" });
    assert.deepEqual(r.json.response.error_codes, ["INVALID_RESET_PASSWORD_TOKEN"]);
  });
});
