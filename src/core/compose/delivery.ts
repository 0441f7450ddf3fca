import type { RampartConfig } from "../config/index.js";
import { sliceOf } from "../config/index.js";
import { Outbox } from "../outbox/outbox.js";
import { outboxSlice } from "../outbox/config.js";
import type { Logger } from "../runtime.js";
import { createPayloadBox } from "../../crypto/payload-box.js";
import type { Datastore } from "../../datastore/contracts.js";
import { createMailer, mailSender, mailSlice, transportFromConfig, type Mailer } from "../../mail/index.js";
import type { MailTemplate, MailTransport } from "../../mail/types.js";
import { smsSenderFromConfig, smsSlice, type SmsSender } from "../../sms/index.js";

export interface DeliveryOptions {
  config: RampartConfig;
  datastore: Datastore;
  logger: Logger;
  now: () => Date;
  /** The enabled features' mail templates, by name. */
  templates: Record<string, MailTemplate<any>>;
  /** The app's replacements of parts of templates (RampartOptions.mailTemplates). */
  overrides?: Record<string, Partial<MailTemplate<any>>>;
  /** The app's own transport instead of the one MAIL_* configures. */
  mailTransport?: MailTransport;
}

/** The mailer features render mail with, and the outbox that queues and delivers it (and SMS). */
export function composeDelivery(o: DeliveryOptions): { mailer: Mailer; outbox: Outbox } {
  const { config, logger } = o;
  const mailConfig = sliceOf(config, mailSlice);
  // The outbox sits in front of the transport (MAIL_* or the app's own): features queue, the outbox delivers.
  const mailTransport = o.mailTransport ?? transportFromConfig(mailConfig, logger, config.development);
  const mailer = createMailer({
    transport: mailTransport,
    from: mailSender(mailConfig),
    appName: config.appName,
    templates: o.templates,
    overrides: o.overrides,
    logger,
  });
  let sms: SmsSender | null = null;
  const outbox = new Outbox({
    datastore: o.datastore,
    config: sliceOf(config, outboxSlice),
    logger,
    now: o.now,
    box: createPayloadBox(config.secretKey!, config.secretKeyFallbacks, "outbox"),
    mailTransport,
    smsSender: () => (sms ??= smsSenderFromConfig(sliceOf(config, smsSlice), logger, config.development)),
  });
  return { mailer, outbox };
}
