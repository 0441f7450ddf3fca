/**
 * Mail contracts. Features declare templates by name (FS names: welcome, confirmation_instructions,
 * reset_instructions, …) with text and HTML bodies; apps override any of them; a transport delivers.
 */
export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  /** Delivers one message; rejects when the server refuses or is unreachable. */
  send(message: MailMessage): Promise<void>;
  /** Connects and greets (and authenticates) without sending: `rampart doctor` asks it. */
  verify?(): Promise<void>;
  close?(): Promise<void>;
}

/** Context every template receives, besides the flow's own values (links, tokens, user…). */
export interface MailBaseContext {
  appName: string;
  /** The recipient address. */
  recipient: string;
}

export interface MailTemplate<C extends Record<string, unknown> = Record<string, unknown>> {
  subject: string | ((context: C & MailBaseContext) => string);
  text(context: C & MailBaseContext): string;
  html(context: C & MailBaseContext): string;
}

export interface Mailer {
  /** Renders the named template and sends it. Rejects with MailSendError when delivery fails. */
  send(template: string, to: string, context: Record<string, unknown>): Promise<void>;
  /** Renders the named template into the message `send` would deliver. Throws MailSendError for a bad recipient. */
  render(template: string, to: string, context: Record<string, unknown>): MailMessage;
  /** The registered template names (features' defaults plus app overrides). */
  templates(): string[];
  close(): Promise<void>;
}

export class MailSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MailSendError";
  }
}
