import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { resolveConfig, sliceOf } from "../core/config/index.js";
import type { Logger } from "../core/runtime.js";
import { html } from "../pages/kit.js";
import { linksIn, startSmtpSink, type SmtpSink } from "../../test/helpers/smtp-sink.js";
import {
  createMailer,
  mailerFromConfig,
  mailSlice,
  MailSendError,
  type MailConfig,
  type MailMessage,
  type MailTemplate,
} from "./index.js";

function captureLogger(): { logger: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, logger: { info: push("info"), warn: push("warn"), error: push("error") } };
}

function mailConfig(mail: Record<string, unknown>): MailConfig {
  return sliceOf(resolveConfig({ secretKey: "x".repeat(40), mail }, [], [mailSlice]), mailSlice);
}

let renders = 0;
const templates: Record<string, MailTemplate> = {
  welcome: {
    subject: (c) => `Welcome to ${c.appName}${typeof c.title === "string" ? ` - ${c.title}` : ""}`,
    text: (c) => {
      renders += 1;
      return `Hello ${String(c.name)},\nconfirm your address: ${String(c.link)}.\n`;
    },
    html: (c) => html`<p>Hello ${String(c.name)}</p><p><a href="${String(c.link)}">Confirm</a></p>`.toString(),
  },
};
const LINK = "https://app.example/confirm/tok-123";
const CONTEXT = { name: "<script>alert(1)</script>", link: LINK };

function spyTransport(): { sent: MailMessage[]; transport: { send(m: MailMessage): Promise<void> } } {
  const sent: MailMessage[] = [];
  return { sent, transport: { send: async (m) => void sent.push(m) } };
}

describe("mailer over SMTP", () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
  });
  after(async () => {
    await sink.close();
  });
  beforeEach(() => sink.clear());

  const smtpMailer = (extra: Record<string, unknown> = {}) =>
    mailerFromConfig(mailConfig({ server: "127.0.0.1", port: sink.port, timeoutMs: 2000, ...extra }), {
      appName: "TestApp",
      templates,
      logger: captureLogger().logger,
    });

  it("delivers end to end: envelope, From, subject, text and escaped HTML", async () => {
    const mailer = smtpMailer({ sender: "TestApp <auth@example.com>", defaultSender: "other@example.com" });
    await mailer.send("welcome", "alice@example.com", CONTEXT);
    const mail = await sink.waitFor((m) => m.envelopeTo.includes("alice@example.com"));
    assert.equal(mail.envelopeFrom, "auth@example.com");
    assert.deepEqual(mail.envelopeTo, ["alice@example.com"]);
    assert.match(mail.from, /auth@example\.com/);
    assert.equal(mail.to, "alice@example.com");
    assert.equal(mail.subject, "Welcome to TestApp");
    assert.match(mail.text, /confirm your address/);
    assert.deepEqual(linksIn(mail), [LINK]);
    assert.match(mail.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.ok(!mail.html.includes("<script>"));
    assert.match(mail.html, /href="https:\/\/app\.example\/confirm\/tok-123"/);
    await mailer.close();
  });

  it("uses MAIL_DEFAULT_SENDER when SECURITY_EMAIL_SENDER is unset", async () => {
    await smtpMailer({ defaultSender: "noreply@example.org" }).send("welcome", "bob@example.com", CONTEXT);
    const mail = await sink.waitFor(() => true);
    assert.equal(mail.envelopeFrom, "noreply@example.org");
  });

  it("refuses header-injection recipients before any delivery", async () => {
    const mailer = smtpMailer();
    for (const to of [
      "victim@x\r\nBcc: e@evil",
      "a@x, b@evil",
      "<a@x>",
      "a@x;b@evil",
      "a@x\nb@evil",
      "",
      "Name <a@x>",
    ]) {
      await assert.rejects(mailer.send("welcome", to, CONTEXT), MailSendError, JSON.stringify(to));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.messages.length, 0);
  });

  it("flattens CR/LF in subjects so no header can be added", async () => {
    await smtpMailer().send("welcome", "carol@example.com", { ...CONTEXT, title: "Hi\r\nBcc: e@evil.example" });
    const mail = await sink.waitFor(() => true);
    assert.equal(mail.subject, "Welcome to TestApp - Hi Bcc: e@evil.example");
    assert.equal(mail.headers.has("bcc"), false);
    assert.deepEqual(mail.envelopeTo, ["carol@example.com"]);
  });

  it("rejects with MailSendError when the server refuses (5xx at RCPT, 4xx at DATA)", async () => {
    const mailer = smtpMailer();
    sink.failNext(1, 550);
    await assert.rejects(
      mailer.send("welcome", "dave@example.com", CONTEXT),
      (e: unknown) => e instanceof MailSendError && /550/.test(e.message),
    );
    sink.failNext(1, 451, "data");
    await assert.rejects(
      mailer.send("welcome", "dave@example.com", CONTEXT),
      (e: unknown) => e instanceof MailSendError && /451/.test(e.message),
    );
    assert.equal(sink.messages.length, 0);
    await mailer.send("welcome", "dave@example.com", CONTEXT);
    assert.equal((await sink.waitFor(() => true)).to, "dave@example.com");
  });

  it("useTls (STARTTLS required) refuses a server that does not offer STARTTLS", async () => {
    await assert.rejects(
      smtpMailer({ useTls: true }).send("welcome", "tls@example.com", CONTEXT),
      (e: unknown) => e instanceof MailSendError && /STARTTLS/.test(e.message),
    );
    assert.equal(sink.messages.length, 0);
  });

  it("never puts the SMTP password in the error", async () => {
    const authSink = await startSmtpSink({ authenticate: () => false });
    try {
      const password = "s3cret-Pa55word";
      const mailer = mailerFromConfig(
        mailConfig({ server: "127.0.0.1", port: authSink.port, username: "mailer", password, timeoutMs: 2000 }),
        { appName: "TestApp", templates, logger: captureLogger().logger },
      );
      const error = await mailer.send("welcome", "erin@example.com", CONTEXT).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof MailSendError);
      const seen = error.message + JSON.stringify(error.cause);
      assert.match(error.message, /535|Invalid login/);
      for (const form of [
        password,
        Buffer.from(password).toString("base64"),
        Buffer.from(`\0mailer\0${password}`).toString("base64"),
      ]) {
        assert.ok(!seen.includes(form), `error leaks ${form}`);
      }
      assert.equal(authSink.messages.length, 0);
    } finally {
      await authSink.close();
    }
  });
});

describe("mailer when the server is unreachable", () => {
  it("rejects with MailSendError when nothing listens on the port", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const mailer = mailerFromConfig(mailConfig({ server: "127.0.0.1", port, timeoutMs: 500 }), {
      appName: "TestApp",
      templates,
      logger: captureLogger().logger,
    });
    const started = Date.now();
    await assert.rejects(mailer.send("welcome", "frank@example.com", CONTEXT), MailSendError);
    assert.ok(Date.now() - started < 3000);
  });

  it("rejects within the timeout when the server never greets", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (silent.address() as AddressInfo).port;
      const mailer = mailerFromConfig(mailConfig({ server: "127.0.0.1", port, timeoutMs: 300 }), {
        appName: "TestApp",
        templates,
        logger: captureLogger().logger,
      });
      const started = Date.now();
      await assert.rejects(mailer.send("welcome", "grace@example.com", CONTEXT), MailSendError);
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe("mailer templates and transports", () => {
  const { logger } = captureLogger();

  it("applies overrides to subject, text or html and lists every template", async () => {
    const { sent, transport } = spyTransport();
    const mailer = createMailer({
      transport,
      from: "auth@example.com",
      appName: "TestApp",
      templates,
      overrides: {
        welcome: { subject: "Custom welcome", text: (c) => `Custom text for ${c.recipient}` },
        goodbye: { subject: (c) => `Bye from ${c.appName}`, text: () => "bye", html: () => "<p>bye</p>" },
      },
      logger,
    });
    assert.deepEqual(mailer.templates(), ["goodbye", "welcome"]);
    await mailer.send("welcome", "heidi@example.com", CONTEXT);
    await mailer.send("goodbye", "heidi@example.com", {});
    assert.equal(sent[0]!.subject, "Custom welcome");
    assert.equal(sent[0]!.text, "Custom text for heidi@example.com");
    assert.match(sent[0]!.html, /&lt;script&gt;/);
    assert.deepEqual([sent[1]!.subject, sent[1]!.text, sent[1]!.html], ["Bye from TestApp", "bye", "<p>bye</p>"]);
  });

  it("refuses a partial override of a template that does not exist", () => {
    assert.throws(
      () =>
        createMailer({
          transport: spyTransport().transport,
          from: "a@example.com",
          appName: "A",
          templates,
          overrides: { nope: { subject: "x" } },
          logger,
        }),
      TypeError,
    );
  });

  it("refuses an unknown template name with a TypeError", async () => {
    const { sent, transport } = spyTransport();
    const mailer = createMailer({ transport, from: "a@example.com", appName: "A", templates, logger });
    await assert.rejects(mailer.send("no_such_template", "ivan@example.com", {}), TypeError);
    assert.equal(sent.length, 0);
  });

  it("suppressSend renders but delivers nothing", async () => {
    const sink = await startSmtpSink();
    try {
      const before = renders;
      const mailer = mailerFromConfig(mailConfig({ server: "127.0.0.1", port: sink.port, suppressSend: true }), {
        appName: "TestApp",
        templates,
        logger,
      });
      await mailer.send("welcome", "judy@example.com", CONTEXT);
      assert.equal(renders, before + 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sink.messages.length, 0);
    } finally {
      await sink.close();
    }
  });

  it("outside development, no server means nothing is sent (tokens never reach the logs), with a warning", async () => {
    const { logger: log, lines } = captureLogger();
    const mailer = mailerFromConfig(mailConfig({}), { appName: "TestApp", templates, logger: log });
    assert.ok(
      lines.some((l) => l.level === "warn" && /MAIL_SERVER is not set/.test(l.message)),
      "warned",
    );
    await mailer.send("welcome", "ken@example.com", CONTEXT);
    assert.ok(!lines.some((l) => l.message.includes(LINK)), "the link was not logged");
  });

  it("console transport (development, no server) writes recipient, subject and text to the logger", async () => {
    const { logger: log, lines } = captureLogger();
    const mailer = mailerFromConfig(mailConfig({}), { appName: "TestApp", templates, logger: log, development: true });
    assert.ok(lines.some((l) => l.level === "warn" && /development only/.test(l.message)));
    await mailer.send("welcome", "ken@example.com", CONTEXT);
    const entry = lines.find((l) => l.level === "info");
    assert.ok(entry);
    assert.match(entry.message, /ken@example\.com/);
    assert.match(entry.message, /Subject: Welcome to TestApp/);
    assert.ok(entry.message.includes(LINK));
  });

  it("wraps a failing custom transport's error in MailSendError", async () => {
    const transport = { send: async () => Promise.reject(new Error("boom")) };
    const mailer = createMailer({ transport, from: "a@example.com", appName: "A", templates, logger });
    await assert.rejects(
      mailer.send("welcome", "leo@example.com", CONTEXT),
      (e: unknown) => e instanceof MailSendError && /welcome/.test(e.message),
    );
  });
});
