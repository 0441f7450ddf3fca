import type { Logger } from "../core/runtime.js";
import { mailSender, type MailConfig } from "./config.js";
import { consoleTransport, smtpTransport, suppressedTransport } from "./transports.js";
import {
  MailSendError,
  type MailBaseContext,
  type Mailer,
  type MailMessage,
  type MailTemplate,
  type MailTransport,
} from "./types.js";

/**
 * The mailer: renders a named template (feature default, optionally overridden by the app) and hands the
 * message to a transport. Recipients are checked before anything is rendered or delivered, so a value
 * carrying extra addresses or headers never reaches the SMTP conversation.
 */

export interface CreateMailerOptions {
  transport: MailTransport;
  /** From header: a single address, optionally `Name <address>`. */
  from: string;
  appName: string;
  templates: Record<string, MailTemplate>;
  /** Per template name, replaces any of subject/text/html. A name no feature declares must give all three. */
  overrides?: Record<string, Partial<MailTemplate>>;
  /** Kept for transports and future use; the mailer itself leaves failure logging to its caller. */
  logger: Logger;
}

/** Exactly one bare address: no whitespace, control characters, separators, brackets, quotes or comments. */
const RECIPIENT = /^[^\s\0-\x1f\x7f@<>,;:"()[\]\\]+@[^\s\0-\x1f\x7f@<>,;:"()[\]\\]+$/;

/** Is `to` exactly one plain address (what the mailer accepts as a recipient)? */
export function isSingleRecipient(to: unknown): to is string {
  return typeof to === "string" && to.length <= 320 && RECIPIENT.test(to);
}

/** Subjects are one header line: CR/LF (and other line breaks) become spaces. */
export function flattenSubject(subject: string): string {
  return subject
    .replace(/[\r\n\u2028\u2029\u0085]+/g, " ")
    .replace(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g, "")
    .trim();
}

function mergeTemplates(
  templates: Record<string, MailTemplate>,
  overrides: Record<string, Partial<MailTemplate>>,
): Map<string, MailTemplate> {
  const merged = new Map<string, MailTemplate>(Object.entries(templates));
  for (const [name, override] of Object.entries(overrides)) {
    const base = merged.get(name);
    const subject = override.subject ?? base?.subject;
    const text = override.text ?? base?.text;
    const html = override.html ?? base?.html;
    if (subject === undefined || !text || !html) {
      throw new TypeError(
        `mail override "${name}": no template of that name exists, so subject, text and html are all required`,
      );
    }
    merged.set(name, { subject, text, html });
  }
  return merged;
}

export function createMailer(options: CreateMailerOptions): Mailer {
  const { transport, from, appName } = options;
  const templates = mergeTemplates(options.templates, options.overrides ?? {});
  const render = (name: string, to: string, context: Record<string, unknown>): MailMessage => {
    const template = templates.get(name);
    if (!template) throw new TypeError(`unknown mail template "${name}"`);
    if (!isSingleRecipient(to)) {
      throw new MailSendError(`refused to send "${name}": the recipient must be exactly one plain email address`);
    }
    const full = { ...context, appName, recipient: to } satisfies Record<string, unknown> & MailBaseContext;
    const rawSubject = typeof template.subject === "function" ? template.subject(full) : template.subject;
    return { from, to, subject: flattenSubject(rawSubject), text: template.text(full), html: template.html(full) };
  };
  return {
    render,
    async send(name: string, to: string, context: Record<string, unknown>): Promise<void> {
      const message = render(name, to, context);
      try {
        await transport.send(message);
      } catch (error) {
        // Not logged here: the caller (kit/mail-delivery) logs and audits each failure once.
        throw error instanceof MailSendError ? error : new MailSendError(`sending "${name}" failed`, { cause: error });
      }
    },
    templates(): string[] {
      return [...templates.keys()].sort();
    },
    async close(): Promise<void> {
      await transport.close?.();
    },
  };
}

export interface MailerFromConfigOptions {
  appName: string;
  templates: Record<string, MailTemplate>;
  overrides?: Record<string, Partial<MailTemplate>>;
  logger: Logger;
  /** Development mode: without a server, mail is printed to the console. */
  development?: boolean;
}

/** Which transport the config selects: suppressed, smtp (explicit, or a server is set) or console. */
/**
 * SMTP when a server is set; the console (which prints links carrying tokens) only in development; outside
 * development with no server, nothing is sent and a warning says so — tokens never end up in logs.
 */
export function transportFromConfig(config: MailConfig, logger: Logger, development = false): MailTransport {
  if (config.suppressSend) return suppressedTransport();
  const kind = config.transport ?? (config.server ? "smtp" : development ? "console" : null);
  if (kind === "smtp") return smtpTransport(config);
  if (kind === "console") return consoleTransport(logger);
  logger.warn("MAIL_SERVER is not set: Rampart's emails (confirmation, reset…) will not be sent.");
  return suppressedTransport();
}

export function mailerFromConfig(config: MailConfig, options: MailerFromConfigOptions): Mailer {
  return createMailer({
    transport: transportFromConfig(config, options.logger, options.development ?? false),
    from: mailSender(config),
    appName: options.appName,
    templates: options.templates,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    logger: options.logger,
  });
}
