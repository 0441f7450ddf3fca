import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFromEnv, resolveConfig, sliceOf } from "../core/config/index.js";
import { ConfigError } from "../core/errors.js";
import { smsSlice } from "./index.js";

const SECRET = "x".repeat(40);
const CREDS = { ACCOUNT_SID: "AC123", AUTH_TOKEN: "token", PHONE_NUMBER: "+15005550006" };

function resolve(input: Record<string, unknown>) {
  return sliceOf(resolveConfig({ secretKey: SECRET, ...input } as never, [], [smsSlice]), smsSlice);
}

function issuesOf(input: Record<string, unknown>): string {
  try {
    resolve(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues.map((i) => `${i.key}: ${i.message}`).join(" | ");
  }
  assert.fail("expected ConfigError");
}

describe("sms config slice", () => {
  it("fills every default, and every key has a meaning", () => {
    const sms = resolve({});
    assert.deepEqual(sms, {
      service: "dummy",
      serviceConfig: { accountSid: null, authToken: null, phoneNumber: null },
      twilioBaseUrl: "https://api.twilio.com",
      timeoutMs: 10000,
      phoneRegionDefault: "US",
      setupLimitPerAccount: 5,
      setupLimitPerNumber: 3,
      setupLimitGlobal: 300,
      setupWindowSeconds: 3600,
    });
    assert.deepEqual(Object.keys(smsSlice.meanings).sort(), [
      "phoneRegionDefault",
      "service",
      "serviceConfig.accountSid",
      "serviceConfig.authToken",
      "serviceConfig.phoneNumber",
      "setupLimitGlobal",
      "setupLimitPerAccount",
      "setupLimitPerNumber",
      "setupWindowSeconds",
      "timeoutMs",
      "twilioBaseUrl",
    ]);
  });

  it("reads FS's SECURITY_SMS_SERVICE and the SECURITY_SMS_SERVICE_CONFIG JSON", () => {
    const env = {
      SECRET_KEY: SECRET,
      SECURITY_SMS_SERVICE: "Twilio",
      SECURITY_SMS_SERVICE_CONFIG: JSON.stringify(CREDS),
      RAMPART_SMS_TWILIO_BASE_URL: "http://127.0.0.1:8099",
      RAMPART_SMS_TIMEOUT_MS: "2500",
      SECURITY_PHONE_REGION_DEFAULT: "GB",
      RAMPART_SMS_SETUP_LIMIT_PER_ACCOUNT: "2",
      RAMPART_SMS_SETUP_LIMIT_PER_NUMBER: "1",
      RAMPART_SMS_SETUP_LIMIT_GLOBAL: "50",
      RAMPART_SMS_SETUP_WINDOW: "900",
    };
    const parsed = configFromEnv(env, [], [smsSlice]);
    assert.deepEqual(parsed.issues, []);
    const sms = sliceOf(resolveConfig(parsed.config, [], [smsSlice]), smsSlice);
    assert.deepEqual(sms, {
      service: "twilio",
      serviceConfig: { accountSid: "AC123", authToken: "token", phoneNumber: "+15005550006" },
      twilioBaseUrl: "http://127.0.0.1:8099",
      timeoutMs: 2500,
      phoneRegionDefault: "GB",
      setupLimitPerAccount: 2,
      setupLimitPerNumber: 1,
      setupLimitGlobal: 50,
      setupWindowSeconds: 900,
    });
  });

  it("accepts camelCase credentials in TypeScript config", () => {
    const sms = resolve({
      sms: { service: "twilio", serviceConfig: { accountSid: "AC1", authToken: "t", phoneNumber: "+1500" } },
    });
    assert.equal(sms.serviceConfig.authToken, "t");
  });

  it("twilio needs all three credentials, naming the missing ones", () => {
    const keys = issuesOf({ sms: { service: "twilio", serviceConfig: { ACCOUNT_SID: "AC1" } } });
    assert.match(
      keys,
      /SECURITY_SMS_SERVICE_CONFIG \(sms\.serviceConfig\): the Twilio SMS service needs AUTH_TOKEN, PHONE_NUMBER/,
    );
    assert.match(issuesOf({ sms: { service: "twilio" } }), /ACCOUNT_SID, AUTH_TOKEN, PHONE_NUMBER/);
  });

  it("console only in development", () => {
    assert.match(
      issuesOf({ sms: { service: "console" } }),
      /SECURITY_SMS_SERVICE \(sms\.service\): "console".*development/,
    );
    assert.equal(resolve({ development: true, sms: { service: "Console" } }).service, "console");
  });

  it("refuses unknown services, unknown credential keys and invalid JSON", () => {
    assert.match(issuesOf({ sms: { service: "nexmo" } }), /sms\.service/);
    assert.match(issuesOf({ sms: { serviceConfig: { ...CREDS, AUTH_TOKN: "x" } } }), /AUTH_TOKN/);
    const parsed = configFromEnv({ SECURITY_SMS_SERVICE_CONFIG: "{not json" }, [], [smsSlice]);
    assert.deepEqual(parsed.issues, [{ key: "SECURITY_SMS_SERVICE_CONFIG", message: "expected JSON" }]);
  });

  it("refuses a plain-http Twilio URL except on loopback, and a bad timeout", () => {
    assert.match(
      issuesOf({ sms: { twilioBaseUrl: "http://api.twilio.com" } }),
      /RAMPART_SMS_TWILIO_BASE_URL \(sms\.twilioBaseUrl\): must use https/,
    );
    assert.equal(resolve({ sms: { twilioBaseUrl: "http://localhost:9000" } }).twilioBaseUrl, "http://localhost:9000");
    assert.match(issuesOf({ sms: { twilioBaseUrl: "ftp://x" } }), /sms\.twilioBaseUrl/);
    assert.match(issuesOf({ sms: { timeoutMs: 0 } }), /RAMPART_SMS_TIMEOUT_MS/);
  });
});
