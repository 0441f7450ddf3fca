import { createRequire } from "node:module";
import type nodemailer from "nodemailer";
import type { Logger } from "../core/runtime.js";
import { bareAddress, type MailConfig } from "./config.js";
import { MailSendError, type MailMessage, type MailTransport } from "./types.js";

const require = createRequire(import.meta.url);

/**
 * The transports Rampart ships: SMTP (nodemailer), the development console transport, and the suppressed
 * transport (MAIL_SUPPRESS_SEND). Every failure rejects with MailSendError, whose message and cause never
 * carry the SMTP password in any form.
 */

export type SmtpTransportConfig = Pick<
  MailConfig,
  "server" | "port" | "useTls" | "useSsl" | "username" | "password" | "timeoutMs" | "tlsRejectUnauthorized"
>;

/** Every form the password could take on the wire (plain, base64, AUTH PLAIN's base64 triple). */
function secretForms(username: string | null, password: string | null): string[] {
  if (!password) return [];
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const forms = [password, b64(password), encodeURIComponent(password)];
  if (username !== null) forms.push(b64(`\0${username}\0${password}`), b64(`${username}\0${password}`));
  return forms.filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

interface NodemailerError {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
}

function sendError(prefix: string, error: unknown, secrets: readonly string[]): MailSendError {
  const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as NodemailerError;
  const reason = scrub(typeof e.message === "string" ? e.message : String(error), secrets);
  const cause = {
    code: typeof e.code === "string" ? e.code : undefined,
    responseCode: typeof e.responseCode === "number" ? e.responseCode : undefined,
    command: typeof e.command === "string" ? scrub(e.command, secrets) : undefined,
  };
  return new MailSendError(`${prefix}: ${reason}`, { cause });
}

/** Delivers through an SMTP server; one connection per message (no pool to go stale between emails). */
export function smtpTransport(config: SmtpTransportConfig): MailTransport {
  if (!config.server) throw new TypeError("smtpTransport: mail.server (MAIL_SERVER) is not set");
  const secrets = secretForms(config.username, config.password);
  const where = `${config.server}:${config.port}`;
  // nodemailer loads when an SMTP transport is first made, not on import.
  const transporter = (require("nodemailer") as typeof nodemailer).createTransport({
    host: config.server,
    port: config.port,
    secure: config.useSsl,
    requireTLS: config.useTls,
    auth: config.username !== null ? { user: config.username, pass: config.password ?? "" } : undefined,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    dnsTimeout: config.timeoutMs,
    tls: { rejectUnauthorized: config.tlsRejectUnauthorized },
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
  return {
    async send(message: MailMessage): Promise<void> {
      const envelopeFrom = bareAddress(message.from);
      const envelopeTo = bareAddress(message.to);
      if (envelopeFrom === null || envelopeTo === null || envelopeTo !== message.to.trim()) {
        throw new MailSendError("refused to send: the sender or recipient is not a single plain address");
      }
      try {
        await transporter.sendMail({
          from: message.from,
          to: envelopeTo,
          subject: message.subject,
          text: message.text,
          html: message.html,
          envelope: { from: envelopeFrom, to: [envelopeTo] },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (error) {
        throw sendError(`SMTP delivery via ${where} failed`, error, secrets);
      }
    },
    async verify(): Promise<void> {
      try {
        await transporter.verify();
      } catch (error) {
        throw sendError(`SMTP server ${where} did not accept a session`, error, secrets);
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}

/** Writes every message (recipient, subject, text body) to the log. Development only: bodies hold tokens. */
export function consoleTransport(logger: Logger): MailTransport {
  logger.warn("mail: no SMTP server configured; emails are written to the log (development only)");
  return {
    async send(message: MailMessage): Promise<void> {
      logger.info(
        [`mail to ${message.to}`, `From: ${message.from}`, `Subject: ${message.subject}`, "", message.text].join("\n"),
      );
    },
  };
}

/** Renders happen, delivery never does (MAIL_SUPPRESS_SEND). */
export function suppressedTransport(): MailTransport {
  return {
    async send(): Promise<void> {},
  };
}
