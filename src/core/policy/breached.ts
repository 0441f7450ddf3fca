import { createHash } from "node:crypto";
import type { MessageRef } from "../http/respond.js";
import type { Runtime } from "../runtime.js";

/**
 * Breached-password check against a k-anonymity "range" API (Have I Been Pwned's Pwned Passwords, or a
 * self-hosted mirror speaking the same protocol), as Flask-Security's PASSWORD_CHECK_BREACHED does.
 *
 * Only the first 5 hex characters of the password's SHA-1 leave the process; the API answers with every
 * known suffix under that prefix (`SUFFIX:COUNT` lines, padded with `:0` decoys because we send
 * `Add-Padding: true`), and the comparison happens here.
 */

/** Answers larger than this are not a range response (real ones are ~30–40 KB). */
const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const LINE = /^([0-9A-F]{35}):(\d+)$/;

/** The range API could not give a usable answer (network error, timeout, non-2xx, malformed body). */
export class BreachedApiError extends Error {
  override readonly name = "BreachedApiError";
}

export interface BreachedApiOptions {
  baseUrl: string;
  timeoutMs: number;
}

/** Uppercase hex SHA-1, split into the 5-character prefix that is sent and the 35-character suffix that is not. */
export function sha1Parts(password: string): { prefix: string; suffix: string } {
  const hex = createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();
  return { prefix: hex.slice(0, 5), suffix: hex.slice(5) };
}

/** Parses a range response into suffix → count; padding entries (count 0) are dropped. Throws on any malformed line. */
export function parseRangeResponse(body: string): Map<string, number> {
  const counts = new Map<string, number>();
  let lines = 0;
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const m = LINE.exec(line.toUpperCase());
    if (!m) throw new BreachedApiError("malformed range response");
    lines++;
    const count = Number(m[2]);
    if (count > 0) counts.set(m[1]!, count);
  }
  if (lines === 0) throw new BreachedApiError("empty range response");
  return counts;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new BreachedApiError("range response too large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof BreachedApiError) return error.message;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === "string" ? `network error (${code})` : "network error";
}

/**
 * How many times the password appears in the breach corpus (0 = not found). The password should already be
 * normalized the way it will be hashed. Throws BreachedApiError when the API gives no usable answer; the
 * message never contains the password or its hash.
 */
export async function breachCount(password: string, options: BreachedApiOptions): Promise<number> {
  const { prefix, suffix } = sha1Parts(password);
  const url = `${options.baseUrl.replace(/\/+$/, "")}/range/${prefix}`;
  try {
    const res = await fetch(url, {
      method: "GET",
      headers: { "Add-Padding": "true", "User-Agent": "rampart-breached-password-check" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BreachedApiError(`HTTP ${res.status}`);
    }
    return parseRangeResponse(await readCapped(res)).get(suffix) ?? 0;
  } catch (error) {
    throw error instanceof BreachedApiError ? error : new BreachedApiError(describeFailure(error, options.timeoutMs));
  }
}

/**
 * The breached step of the password policy: PASSWORD_BREACHED when the count reaches password.breachedCount;
 * when the API fails, PASSWORD_BREACHED_SITE_ERROR in "strict" mode, or a logged warning and a pass in
 * "best-effort" mode. null = acceptable (or the check is off).
 */
export async function checkBreachedPassword(
  rt: Pick<Runtime, "config" | "logger">,
  normalizedPassword: string,
): Promise<MessageRef | null> {
  const p = rt.config.password;
  if (!p.checkBreached) return null;
  let count: number;
  try {
    count = await breachCount(normalizedPassword, { baseUrl: p.breachedApiBaseUrl, timeoutMs: p.breachedTimeoutMs });
  } catch (error) {
    const reason = error instanceof BreachedApiError ? error.message : "unexpected error";
    if (p.checkBreached === "strict") {
      rt.logger.warn(`breached-password check failed (${reason}); password refused (strict mode)`);
      return { code: "PASSWORD_BREACHED_SITE_ERROR" };
    }
    rt.logger.warn(`breached-password check skipped (${reason}); password accepted (best-effort mode)`);
    return null;
  }
  return count >= p.breachedCount ? { code: "PASSWORD_BREACHED" } : null;
}
