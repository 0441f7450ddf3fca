import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFromEnv, resolveConfig, sliceOf } from "../core/config/index.js";
import { ConfigError } from "../core/errors.js";
import { bareAddress, mailSender, mailSlice } from "./config.js";

const SECRET = "x".repeat(40);

function keysOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues.map((i) => `${i.key}: ${i.message}`).join(" | ");
  }
  assert.fail("expected ConfigError");
}

describe("mail config slice", () => {
  it("fills every default", () => {
    const mail = sliceOf(resolveConfig({ secretKey: SECRET }, [], [mailSlice]), mailSlice);
    assert.deepEqual(mail, {
      server: null,
      port: 25,
      useTls: false,
      useSsl: false,
      username: null,
      password: null,
      defaultSender: "no-reply@localhost",
      sender: null,
      suppressSend: false,
      transport: null,
      timeoutMs: 10000,
      tlsRejectUnauthorized: true,
    });
    assert.equal(mailSender(mail), "no-reply@localhost");
    assert.deepEqual(Object.keys(mailSlice.meanings).sort(), Object.keys(mail).sort());
  });

  it("SECURITY_EMAIL_SENDER wins over MAIL_DEFAULT_SENDER", () => {
    const mail = sliceOf(
      resolveConfig(
        { secretKey: SECRET, mail: { sender: "App <auth@example.com>", defaultSender: "x@example.com" } },
        [],
        [mailSlice],
      ),
      mailSlice,
    );
    assert.equal(mailSender(mail), "App <auth@example.com>");
  });

  it("refuses useTls together with useSsl, naming the key", () => {
    const keys = keysOf(() =>
      resolveConfig({ secretKey: SECRET, mail: { useTls: true, useSsl: true } }, [], [mailSlice]),
    );
    assert.match(keys, /MAIL_USE_TLS \(mail\.useTls\)/);
    assert.match(keys, /MAIL_USE_SSL/);
  });

  it("refuses senders that are not one plain address", () => {
    for (const sender of ["a@x.example\r\nBcc: e@evil", "a@x.example, b@evil", "not an address", "A <a@x> <b@y>"]) {
      const keys = keysOf(() => resolveConfig({ secretKey: SECRET, mail: { sender } }, [], [mailSlice]));
      assert.match(keys, /SECURITY_EMAIL_SENDER \(mail\.sender\)/, sender);
    }
    const keys = keysOf(() => resolveConfig({ secretKey: SECRET, mail: { defaultSender: "x\n@y" } }, [], [mailSlice]));
    assert.match(keys, /MAIL_DEFAULT_SENDER \(mail\.defaultSender\)/);
  });

  it("refuses an smtp transport without a server and a password without a username", () => {
    const keys = keysOf(() =>
      resolveConfig({ secretKey: SECRET, mail: { transport: "smtp", password: "p" } }, [], [mailSlice]),
    );
    assert.match(keys, /MAIL_SERVER \(mail\.server\)/);
    assert.match(keys, /MAIL_USERNAME \(mail\.username\)/);
  });

  it("reads Flask-Mail's environment names", () => {
    const env = {
      SECRET_KEY: SECRET,
      MAIL_SERVER: "smtp.example.com",
      MAIL_PORT: "587",
      MAIL_USE_TLS: "true",
      MAIL_USERNAME: "mailer",
      MAIL_PASSWORD: "pw",
      SECURITY_EMAIL_SENDER: "Example <auth@example.com>",
      MAIL_SUPPRESS_SEND: "1",
      RAMPART_MAIL_TIMEOUT_MS: "2500",
    };
    const { config, issues } = configFromEnv(env, [], [mailSlice]);
    assert.deepEqual(issues, []);
    const mail = sliceOf(resolveConfig(config, [], [mailSlice]), mailSlice);
    assert.equal(mail.server, "smtp.example.com");
    assert.equal(mail.port, 587);
    assert.equal(mail.useTls, true);
    assert.equal(mail.suppressSend, true);
    assert.equal(mail.timeoutMs, 2500);
    assert.equal(mailSender(mail), "Example <auth@example.com>");
  });

  it("bareAddress extracts the envelope address", () => {
    assert.equal(bareAddress("a@x.example"), "a@x.example");
    assert.equal(bareAddress("App Name <a@x.example>"), "a@x.example");
    assert.equal(bareAddress('"Doe, Jane" <a@x.example>'), "a@x.example");
    assert.equal(bareAddress("a@x.example\r\n"), null);
    assert.equal(bareAddress("<a@x.example>, b@y"), null);
  });
});
