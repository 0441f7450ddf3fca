import { z } from "zod";
import type { ConfigIssue } from "../core/errors.js";
import { key } from "../core/config/declare.js";
import { defineSlice } from "../core/config/slice.js";

/**
 * SMS configuration (FS SECURITY_SMS_SERVICE and SECURITY_SMS_SERVICE_CONFIG). The resolved slice sits at
 * `config.sms`; read it with `sliceOf(config, smsSlice)` and hand it to `smsSenderFromConfig`.
 *
 * SECURITY_SMS_SERVICE_CONFIG is FS's JSON object `{"ACCOUNT_SID": …, "AUTH_TOKEN": …, "PHONE_NUMBER": …}`;
 * it lands on `sms.serviceConfig`, whose keys are camelCase in TypeScript (`accountSid`, `authToken`,
 * `phoneNumber`). FS's upper-case names are accepted there too.
 */

const FS_KEYS: Record<string, string> = {
  ACCOUNT_SID: "accountSid",
  AUTH_TOKEN: "authToken",
  PHONE_NUMBER: "phoneNumber",
};

function camelKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [FS_KEYS[k] ?? k, v]));
}

const serviceConfig = z
  .preprocess(
    camelKeys,
    z.strictObject({
      accountSid: key(z.string().min(1).nullable().default(null), {
        doc: "Twilio account SID (ACCOUNT_SID in the JSON object SECURITY_SMS_SERVICE_CONFIG, FS's format)",
      }),
      authToken: key(z.string().min(1).nullable().default(null), {
        doc: "Twilio auth token (AUTH_TOKEN in SECURITY_SMS_SERVICE_CONFIG; never logged nor included in errors)",
      }),
      phoneNumber: key(z.string().min(1).nullable().default(null), {
        doc: "Sender number messages come from, E.164 like +15005550006 (PHONE_NUMBER in SECURITY_SMS_SERVICE_CONFIG)",
      }),
    }),
  )
  .prefault({});

const schema = z.strictObject({
  service: key(
    z
      .preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.enum(["dummy", "console", "twilio"]))
      .default("dummy"),
    {
      env: "SECURITY_SMS_SERVICE",
      doc: '"dummy" (drop every message, FS "Dummy"), "twilio" (Twilio REST API) or "console" (log, development only: prints codes); case-insensitive',
    },
  ),
  serviceConfig: key(serviceConfig, { env: "SECURITY_SMS_SERVICE_CONFIG" }),
  twilioBaseUrl: key(z.url({ protocol: /^https?$/ }).default("https://api.twilio.com"), {
    env: "RAMPART_SMS_TWILIO_BASE_URL",
    doc: "Base URL of the Twilio REST API (https; http only for a loopback test server)",
  }),
  timeoutMs: key(z.number().int().min(1).default(10_000), {
    env: "RAMPART_SMS_TIMEOUT_MS",
    doc: "Time allowed for one SMS request to Twilio (connect, answer and body), in milliseconds",
  }),
  phoneRegionDefault: key(z.string().length(2).default("US"), {
    env: "SECURITY_PHONE_REGION_DEFAULT",
    doc: "Region (ISO 3166 alpha-2) for phone numbers typed without +country code (FS PHONE_REGION_DEFAULT).",
  }),
  setupLimitPerAccount: key(z.number().int().positive().default(5), {
    env: "RAMPART_SMS_SETUP_LIMIT_PER_ACCOUNT",
    doc: "Setup texts (two-factor and unified sign-in SMS setup, to a number the user types) one account may cause within setupWindowSeconds; beyond, nothing is sent and the answer does not change (SMS pumping).",
  }),
  setupLimitPerNumber: key(z.number().int().positive().default(3), {
    env: "RAMPART_SMS_SETUP_LIMIT_PER_NUMBER",
    doc: "Setup texts one phone number may receive within setupWindowSeconds, from all accounts together.",
  }),
  setupLimitGlobal: key(z.number().int().positive().default(300), {
    env: "RAMPART_SMS_SETUP_LIMIT_GLOBAL",
    doc: "Setup texts the whole deployment sends within setupWindowSeconds (caps the SMS bill an abuser can run up).",
  }),
  setupWindowSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(60 * 60),
    { env: "RAMPART_SMS_SETUP_WINDOW", doc: "Window of the three setup-text budgets." },
  ),
});

export type SmsConfig = z.output<typeof schema>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export const smsSlice = defineSlice({
  key: "sms",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (value.service === "console" && !config.development) {
      issues.push({
        key: "sms.service",
        message: '"console" prints one-time codes into the logs: only allowed in development',
      });
    }
    if (value.service === "twilio") {
      const missing = (
        [
          ["ACCOUNT_SID", value.serviceConfig.accountSid],
          ["AUTH_TOKEN", value.serviceConfig.authToken],
          ["PHONE_NUMBER", value.serviceConfig.phoneNumber],
        ] as const
      )
        .filter(([, v]) => v === null)
        .map(([k]) => k);
      if (missing.length) {
        issues.push({ key: "sms.serviceConfig", message: `the Twilio SMS service needs ${missing.join(", ")}` });
      }
    }
    const url = new URL(value.twilioBaseUrl);
    if (url.protocol !== "https:" && !LOOPBACK.has(url.hostname)) {
      issues.push({ key: "sms.twilioBaseUrl", message: "must use https (the auth token travels in every request)" });
    }
    return issues;
  },
});

declare module "../core/config/slice.js" {
  interface RampartConfigSlices {
    sms: typeof smsSlice;
  }
}
