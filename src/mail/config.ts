import { z } from "zod";
import type { ConfigIssue } from "../core/errors.js";
import { key } from "../core/config/declare.js";
import { defineSlice } from "../core/config/slice.js";

/**
 * Mail configuration (Flask-Mail's MAIL_* names plus SECURITY_EMAIL_SENDER). The resolved slice sits at
 * `config.mail`; read it with `sliceOf(config, mailSlice)` and hand it to `mailerFromConfig`.
 */

/** A bare address: one `@`, no whitespace, no characters that could start another address or a header. */
const BARE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;
/** `Name <addr>`: the name either quoted or free of separators. */
const NAMED_ADDRESS = /^(?:"[^"\\\r\n]*"|[^<>,;:"()[\]\\\r\n]+?)\s*<([^<>]+)>$/;

/** The SMTP envelope address of a single plain address, or null when `value` is not one. */
export function bareAddress(value: string): string | null {
  if (/[\r\n\0]/.test(value)) return null;
  const text = value.trim();
  if (BARE_ADDRESS.test(text)) return text;
  const named = NAMED_ADDRESS.exec(text);
  if (named && BARE_ADDRESS.test(named[1]!)) return named[1]!;
  return null;
}

const senderAddress = z
  .string()
  .refine(
    (v) => bareAddress(v) !== null,
    "must be a single address like no-reply@example.com or Name <no-reply@example.com>",
  );

const schema = z.strictObject({
  server: key(z.string().min(1).nullable().default(null), {
    env: "MAIL_SERVER",
    doc: "SMTP server host name; when unset (and no transport is chosen) mail is written to the log instead",
  }),
  port: key(z.number().int().min(1).max(65535).default(25), {
    env: "MAIL_PORT",
    doc: "SMTP server port (25; usually 587 with useTls, 465 with useSsl)",
  }),
  useTls: key(z.boolean().default(false), {
    env: "MAIL_USE_TLS",
    doc: "Require STARTTLS on a plain connection before sending (refuses servers that do not offer it)",
  }),
  useSsl: key(z.boolean().default(false), {
    env: "MAIL_USE_SSL",
    doc: "Connect with TLS from the start (implicit TLS, SMTPS); not together with useTls",
  }),
  username: key(z.string().min(1).nullable().default(null), {
    env: "MAIL_USERNAME",
    doc: "SMTP login name; authentication is attempted only when set",
  }),
  password: key(z.string().nullable().default(null), {
    env: "MAIL_PASSWORD",
    doc: "SMTP password (never logged nor included in errors)",
  }),
  defaultSender: key(senderAddress.default("no-reply@localhost"), {
    env: "MAIL_DEFAULT_SENDER",
    doc: "From address when SECURITY_EMAIL_SENDER is unset: a single address, optionally Name <address>",
  }),
  sender: key(senderAddress.nullable().default(null), {
    env: "SECURITY_EMAIL_SENDER",
    doc: "From address of every Rampart email (wins over defaultSender)",
  }),
  suppressSend: key(z.boolean().default(false), {
    env: "MAIL_SUPPRESS_SEND",
    doc: "Render emails but never deliver them (tests, staging)",
  }),
  transport: key(z.enum(["smtp", "console"]).nullable().default(null), {
    env: "RAMPART_MAIL_TRANSPORT",
    doc: '"smtp" or "console" (log, development only); null picks smtp when a server is set, else console',
  }),
  timeoutMs: key(z.number().int().min(1).default(10_000), {
    env: "RAMPART_MAIL_TIMEOUT_MS",
    doc: "Connection, greeting and socket inactivity timeout of SMTP deliveries, in milliseconds",
  }),
  tlsRejectUnauthorized: key(z.boolean().default(true), {
    env: "RAMPART_MAIL_TLS_REJECT_UNAUTHORIZED",
    doc: "Verify the SMTP server's TLS certificate (turn off only for a test server)",
  }),
});

export type MailConfig = z.output<typeof schema>;

export const mailSlice = defineSlice({
  key: "mail",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (value.transport === "console" && !config.development) {
      issues.push({
        key: "mail.transport",
        message: '"console" prints links carrying tokens into the logs: only allowed in development',
      });
    }
    if (value.useTls && value.useSsl) {
      issues.push({
        key: "mail.useTls",
        message: "cannot be combined with MAIL_USE_SSL (mail.useSsl): choose STARTTLS or implicit TLS",
      });
    }
    if (value.transport === "smtp" && value.server === null) {
      issues.push({ key: "mail.server", message: 'is required when the mail transport is "smtp"' });
    }
    if (value.password !== null && value.username === null) {
      issues.push({ key: "mail.username", message: "is required when MAIL_PASSWORD is set" });
    }
    return issues;
  },
});

declare module "../core/config/slice.js" {
  interface RampartConfigSlices {
    mail: typeof mailSlice;
  }
}

/** The From address Rampart's emails carry: SECURITY_EMAIL_SENDER, else MAIL_DEFAULT_SENDER. */
export function mailSender(config: Pick<MailConfig, "sender" | "defaultSender">): string {
  return config.sender ?? config.defaultSender;
}
