import { z } from "zod";
import type { ConfigIssue } from "../core/errors.js";
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
  .refine((v) => bareAddress(v) !== null, "must be a single address like no-reply@example.com or Name <no-reply@example.com>");

const schema = z.object({
  server: z.string().min(1).nullable().default(null),
  port: z.number().int().min(1).max(65535).default(25),
  useTls: z.boolean().default(false),
  useSsl: z.boolean().default(false),
  username: z.string().min(1).nullable().default(null),
  password: z.string().nullable().default(null),
  defaultSender: senderAddress.default("no-reply@localhost"),
  sender: senderAddress.nullable().default(null),
  suppressSend: z.boolean().default(false),
  transport: z.enum(["smtp", "console"]).nullable().default(null),
  timeoutMs: z.number().int().min(1).default(10_000),
  tlsRejectUnauthorized: z.boolean().default(true),
});

export type MailConfig = z.output<typeof schema>;

export const mailSlice = defineSlice({
  key: "mail",
  schema,
  env: {
    MAIL_SERVER: ["server", "nullable-string"],
    MAIL_PORT: ["port", "int"],
    MAIL_USE_TLS: ["useTls", "bool"],
    MAIL_USE_SSL: ["useSsl", "bool"],
    MAIL_USERNAME: ["username", "nullable-string"],
    MAIL_PASSWORD: ["password", "nullable-string"],
    MAIL_DEFAULT_SENDER: ["defaultSender", "string"],
    SECURITY_EMAIL_SENDER: ["sender", "nullable-string"],
    MAIL_SUPPRESS_SEND: ["suppressSend", "bool"],
    RAMPART_MAIL_TRANSPORT: ["transport", "nullable-string"],
    RAMPART_MAIL_TIMEOUT_MS: ["timeoutMs", "int"],
    RAMPART_MAIL_TLS_REJECT_UNAUTHORIZED: ["tlsRejectUnauthorized", "bool"],
  },
  meanings: {
    server: "SMTP server host name; when unset (and no transport is chosen) mail is written to the log instead",
    port: "SMTP server port (25; usually 587 with useTls, 465 with useSsl)",
    useTls: "Require STARTTLS on a plain connection before sending (refuses servers that do not offer it)",
    useSsl: "Connect with TLS from the start (implicit TLS, SMTPS); not together with useTls",
    username: "SMTP login name; authentication is attempted only when set",
    password: "SMTP password (never logged nor included in errors)",
    defaultSender: "From address when SECURITY_EMAIL_SENDER is unset: a single address, optionally Name <address>",
    sender: "From address of every Rampart email (wins over defaultSender)",
    suppressSend: "Render emails but never deliver them (tests, staging)",
    transport: '"smtp" or "console" (log, development only); null picks smtp when a server is set, else console',
    timeoutMs: "Connection, greeting and socket inactivity timeout of SMTP deliveries, in milliseconds",
    tlsRejectUnauthorized: "Verify the SMTP server's TLS certificate (turn off only for a test server)",
  },
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (value.transport === "console" && !config.development) {
      issues.push({ key: "mail.transport", message: '"console" prints links carrying tokens into the logs: only allowed in development' });
    }
    if (value.useTls && value.useSsl) {
      issues.push({ key: "mail.useTls", message: "cannot be combined with MAIL_USE_SSL (mail.useSsl): choose STARTTLS or implicit TLS" });
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

/** The From address Rampart's emails carry: SECURITY_EMAIL_SENDER, else MAIL_DEFAULT_SENDER. */
export function mailSender(config: Pick<MailConfig, "sender" | "defaultSender">): string {
  return config.sender ?? config.defaultSender;
}
