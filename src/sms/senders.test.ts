import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startSmsGateway, type SmsGateway } from "../../test/helpers/sms-gateway.js";
import { resolveConfig, sliceOf } from "../core/config/index.js";
import type { Logger } from "../core/runtime.js";
import { consoleSender, dummySender, smsSenderFromConfig, SmsSendError, smsSlice, twilioSender } from "./index.js";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "tok3n-Very+Secret/Value";
const FROM = "+15005550006";
const TO = "+16505551212";

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

async function sendError(promise: Promise<unknown>): Promise<SmsSendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SmsSendError, String(error));
    const basic = Buffer.from(`${SID}:${TOKEN}`).toString("base64");
    const everything = `${error.message} ${JSON.stringify(error.cause ?? null)} ${error.stack ?? ""}`;
    for (const secret of [TOKEN, basic, encodeURIComponent(TOKEN)])
      assert.ok(!everything.includes(secret), "the token leaked");
    return error;
  }
  assert.fail("expected SmsSendError");
}

describe("Twilio sender against a loopback gateway", () => {
  let gw: SmsGateway;
  before(async () => {
    gw = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
  });
  after(() => gw.close());
  beforeEach(() => {
    gw.mode = "ok";
  });

  it("POSTs the form fields with basic auth to the Messages endpoint and resolves on 201", async () => {
    const sender = twilioSender({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: gw.url, timeoutMs: 2000 });
    const before = gw.requests.length;
    await sender.send(TO, "Your code is 123456 & more = ünïcode");
    const sms = await gw.waitFor((m) => m.body.startsWith("Your code is 123456"));
    assert.deepEqual(
      { to: sms.to, from: sms.from, body: sms.body },
      { to: TO, from: FROM, body: "Your code is 123456 & more = ünïcode" },
    );
    const request = gw.requests[before]!;
    assert.equal(request.method, "POST");
    assert.equal(request.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`);
    assert.match(String(request.headers["content-type"]), /^application\/x-www-form-urlencoded/);
    assert.deepEqual([...new URLSearchParams(request.body).keys()].sort(), ["Body", "From", "To"]);
  });

  it("a trailing slash on the base URL changes nothing", async () => {
    await twilioSender({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: `${gw.url}/` }).send(TO, "slash");
    await gw.waitFor((m) => m.body === "slash");
  });

  it("wrong credentials → SmsSendError naming HTTP 401, without the token", async () => {
    const sender = twilioSender({ accountSid: SID, authToken: `${TOKEN}x`, from: FROM, baseUrl: gw.url });
    const error = await sendError(sender.send(TO, "x"));
    assert.match(error.message, /HTTP 401, Twilio error 20003/);
    assert.ok(!error.message.includes(`${TOKEN}x`));
  });

  it("400 and 500 → SmsSendError carrying Twilio's code, never the token", async () => {
    const sender = twilioSender({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: gw.url });
    gw.mode = "400";
    const bad = await sendError(sender.send(TO, "x"));
    assert.match(bad.message, /HTTP 400, Twilio error 21211\): The 'To' number/);
    assert.deepEqual(bad.cause, { status: 400, code: 21211 });
    gw.mode = "500";
    const down = await sendError(sender.send(TO, "x"));
    assert.match(down.message, /HTTP 500/);
  });

  it("a hanging gateway → SmsSendError after the timeout", async () => {
    gw.mode = "hang";
    const sender = twilioSender({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: gw.url, timeoutMs: 300 });
    const started = Date.now();
    const error = await sendError(sender.send(TO, "x"));
    assert.match(error.message, /did not answer within 300 ms/);
    assert.ok(Date.now() - started < 3000);
  });

  it("an unreachable server → SmsSendError", async () => {
    const closed = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
    await closed.close();
    const sender = twilioSender({
      accountSid: SID,
      authToken: TOKEN,
      from: FROM,
      baseUrl: closed.url,
      timeoutMs: 2000,
    });
    const error = await sendError(sender.send(TO, "x"));
    assert.match(error.message, /could not reach Twilio/);
  });

  it("refuses a recipient that is not E.164 without a request", async () => {
    const sender = twilioSender({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: gw.url });
    const count = gw.requests.length;
    for (const to of ["650-555-1212", "+1 650 555 1212", "", "+16505551212\r\nX: y"])
      await sendError(sender.send(to, "x"));
    assert.equal(gw.requests.length, count);
    assert.throws(() => twilioSender({ accountSid: SID, authToken: "", from: FROM }), TypeError);
  });

  it("smsSenderFromConfig builds the Twilio sender from the resolved slice", async () => {
    const config = resolveConfig(
      {
        secretKey: "x".repeat(40),
        sms: {
          service: "Twilio",
          serviceConfig: { ACCOUNT_SID: SID, AUTH_TOKEN: TOKEN, PHONE_NUMBER: FROM },
          twilioBaseUrl: gw.url,
        },
      } as never,
      [],
      [smsSlice],
    );
    const sender = smsSenderFromConfig(sliceOf(config, smsSlice), memoryLogger(), false);
    await sender.send(TO, "from config");
    const sms = await gw.waitFor((m) => m.body === "from config");
    assert.equal(sms.from, FROM);
  });
});

describe("dummy and console senders", () => {
  it("dummy drops the message", async () => {
    await dummySender().send(TO, "nothing happens");
  });

  it("console logs recipient and body, warning that it is for development", async () => {
    const logger = memoryLogger();
    await consoleSender(logger).send(TO, "code 654321");
    assert.match(logger.lines[0]!, /^warn .*development only/);
    assert.equal(logger.lines[1], `info sms to ${TO}\ncode 654321`);
  });

  it("smsSenderFromConfig refuses console outside development", () => {
    const dev = resolveConfig(
      { secretKey: "x".repeat(40), development: true, sms: { service: "console" } } as never,
      [],
      [smsSlice],
    );
    const slice = sliceOf(dev, smsSlice);
    assert.doesNotThrow(() => smsSenderFromConfig(slice, memoryLogger(), true));
    assert.throws(() => smsSenderFromConfig(slice, memoryLogger(), false), TypeError);
  });
});
