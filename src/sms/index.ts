/** Rampart SMS: config slice, senders (dummy, console, Twilio) and phone number normalization. */
export { smsSlice, type SmsConfig } from "./config.js";
export { dummySender, consoleSender, twilioSender, smsSenderFromConfig, type TwilioSenderOptions } from "./senders.js";
export { normalizePhone } from "./phone.js";
export { SmsSendError, type SmsSender } from "./types.js";
