/**
 * SMS contracts. A sender delivers one text message to one E.164 number (normalize it first with
 * normalizePhone). Flask-Security's SMS_SERVICE: "Dummy" (drops messages), "Twilio"; Rampart adds "console".
 */
export interface SmsSender {
  /** Delivers `body` to `to` (E.164, e.g. +16505551212); rejects with SmsSendError when it cannot. */
  send(to: string, body: string): Promise<void>;
}

/** Delivery failed. The message and cause never carry the provider's credentials. */
export class SmsSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SmsSendError";
  }
}
