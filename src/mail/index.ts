/** Rampart mail: config slice, transports and the template-rendering mailer. */
export { mailSlice, mailSender, bareAddress, type MailConfig } from "./config.js";
export { smtpTransport, consoleTransport, suppressedTransport, type SmtpTransportConfig } from "./transports.js";
export {
  createMailer,
  mailerFromConfig,
  transportFromConfig,
  isSingleRecipient,
  flattenSubject,
  type CreateMailerOptions,
  type MailerFromConfigOptions,
} from "./mailer.js";
export {
  MailSendError,
  type MailMessage,
  type MailTransport,
  type MailBaseContext,
  type MailTemplate,
  type Mailer,
} from "./types.js";
