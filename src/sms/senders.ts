import type { Logger } from "../core/runtime.js";
import type { SmsConfig } from "./config.js";
import { SmsSendError, type SmsSender } from "./types.js";

/**
 * The SMS senders Rampart ships: dummy (FS "Dummy": drops messages), console (development: logs them) and
 * Twilio (REST API, no SDK). Twilio failures reject with SmsSendError, never carrying the auth token.
 */

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** Accepts every message and delivers none (FS's default SMS_SERVICE "Dummy"). */
export function dummySender(): SmsSender {
  return {
    async send(): Promise<void> {},
  };
}

/** Writes every message to the log. Development only: bodies hold one-time codes. */
export function consoleSender(logger: Logger): SmsSender {
  logger.warn("sms: messages are written to the log (development only)");
  return {
    async send(to: string, body: string): Promise<void> {
      logger.info(`sms to ${to}\n${body}`);
    },
  };
}

export interface TwilioSenderOptions {
  accountSid: string;
  authToken: string;
  /** The sender number (E.164) or alphanumeric sender id, as Twilio's `From`. */
  from: string;
  /** Default https://api.twilio.com. */
  baseUrl?: string;
  /** Default 10 000 ms, for the whole request (connect, answer, body). */
  timeoutMs?: number;
}

interface TwilioErrorBody {
  code?: unknown;
  message?: unknown;
}

function scrubber(authToken: string, basic: string): (text: string) => string {
  const secrets = [basic, authToken, encodeURIComponent(authToken)].filter((s) => s.length > 0);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}

async function errorDetail(response: Response): Promise<{ code: number | undefined; message: string | undefined }> {
  try {
    const text = (await response.text()).slice(0, 4096);
    const body = JSON.parse(text) as TwilioErrorBody;
    return {
      code: typeof body.code === "number" ? body.code : undefined,
      message: typeof body.message === "string" ? body.message.slice(0, 300) : undefined,
    };
  } catch {
    return { code: undefined, message: undefined };
  }
}

/**
 * Sends through Twilio's Messages API: `POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json` with HTTP
 * basic auth (sid:token) and the form fields To, From, Body. Redirects are refused (they would carry the
 * credentials elsewhere).
 */
export function twilioSender(options: TwilioSenderOptions): SmsSender {
  const { accountSid, authToken, from } = options;
  if (!accountSid || !authToken || !from)
    throw new TypeError("twilioSender: accountSid, authToken and from are required");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = new URL(options.baseUrl ?? "https://api.twilio.com");
  const endpoint = new URL(
    `${base.pathname.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`,
    base,
  );
  const basic = Buffer.from(`${accountSid}:${authToken}`, "utf8").toString("base64");
  const scrub = scrubber(authToken, basic);
  const where = base.origin;

  return {
    async send(to: string, body: string): Promise<void> {
      if (!E164.test(to)) throw new SmsSendError("refused to send: the recipient is not an E.164 phone number");
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: "POST",
          headers: {
            authorization: `Basic ${basic}`,
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
          },
          body: new URLSearchParams({ To: to, From: from, Body: body }).toString(),
          redirect: "error",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if (name === "TimeoutError" || name === "AbortError") {
          throw new SmsSendError(`Twilio at ${where} did not answer within ${timeoutMs} ms`, {
            cause: { timeout: true },
          });
        }
        const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
        const reason =
          typeof cause?.code === "string" ? cause.code : error instanceof Error ? error.message : String(error);
        throw new SmsSendError(scrub(`could not reach Twilio at ${where}: ${reason}`));
      }
      if (response.ok) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      let detail: Awaited<ReturnType<typeof errorDetail>>;
      try {
        detail = await errorDetail(response);
      } catch {
        detail = { code: undefined, message: undefined };
      }
      const twilio = detail.code !== undefined ? `, Twilio error ${detail.code}` : "";
      const text = detail.message !== undefined ? `: ${detail.message}` : "";
      throw new SmsSendError(scrub(`Twilio refused the SMS (HTTP ${response.status}${twilio})${text}`), {
        cause: { status: response.status, code: detail.code },
      });
    },
  };
}

/** The sender SMS_SERVICE names. `development` gates "console" (config validation refuses it otherwise). */
export function smsSenderFromConfig(config: SmsConfig, logger: Logger, development: boolean): SmsSender {
  switch (config.service) {
    case "dummy":
      return dummySender();
    case "console":
      if (!development) throw new TypeError('sms.service "console" prints one-time codes: only allowed in development');
      return consoleSender(logger);
    case "twilio": {
      const { accountSid, authToken, phoneNumber } = config.serviceConfig;
      if (accountSid === null || authToken === null || phoneNumber === null) {
        throw new TypeError(
          "sms: the Twilio service needs ACCOUNT_SID, AUTH_TOKEN and PHONE_NUMBER (SECURITY_SMS_SERVICE_CONFIG)",
        );
      }
      return twilioSender({
        accountSid,
        authToken,
        from: phoneNumber,
        baseUrl: config.twilioBaseUrl,
        timeoutMs: config.timeoutMs,
      });
    }
  }
}
