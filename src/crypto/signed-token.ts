import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Purpose-bound signed tokens: `base64url(JSON payload).base64url(HMAC-SHA256)`. Each purpose ("auth-token",
 * "remember", "csrf", …) signs with its own key derived by HKDF from SECRET_KEY, so a token of one family can
 * never stand in for another. Fallback secrets verify (key rotation) but never sign.
 *
 * Only the exact spelling `sign` produces verifies: base64url decoders are lenient (unused bits in the last
 * character, padding, other alphabets, stray characters), so a token re-spelled to the same bytes would
 * otherwise pass as a different string and slip past anything that remembers tokens by their text.
 */
export type VerifyResult =
  /** `marker`: the key for remembering this token as used (single-use values); one per token. */
  | { ok: true; payload: Record<string, unknown>; issuedAt: number; marker: string }
  | { ok: false; reason: "invalid" | "expired" };

export interface TokenSigner {
  sign(purpose: string, payload: Record<string, unknown>, nowSeconds: number): string;
  /**
   * Verifies signature and, when maxAgeSeconds is given, age since signing. A token signed more than
   * `futureToleranceSeconds` (default 60) ahead of `nowSeconds` is expired too: it was made by a clock running
   * fast, and would otherwise live longer by the skew.
   */
  verify(
    purpose: string,
    token: string,
    options: { maxAgeSeconds?: number; nowSeconds: number; futureToleranceSeconds?: number },
  ): VerifyResult;
}

const MAX_TOKEN_LENGTH = 4096;
const DEFAULT_FUTURE_TOLERANCE_SECONDS = 60;

/** `text` decoded as base64url only when it is the canonical encoding of the bytes (else null). */
function strictBase64url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

export function createTokenSigner(secretKey: string, fallbackKeys: readonly string[] = []): TokenSigner {
  const keyCache = new Map<string, Buffer[]>();
  const secrets = [secretKey, ...fallbackKeys];
  const keysFor = (purpose: string): Buffer[] => {
    let keys = keyCache.get(purpose);
    if (!keys) {
      keys = secrets.map((s) => Buffer.from(hkdfSync("sha256", s, "rampart-signed-token", `purpose:${purpose}`, 32)));
      keyCache.set(purpose, keys);
    }
    return keys;
  };
  const mac = (key: Buffer, body: string) => createHmac("sha256", key).update(body).digest();

  return {
    sign(purpose, payload, nowSeconds) {
      const body = Buffer.from(JSON.stringify({ ...payload, iat: nowSeconds }), "utf8").toString("base64url");
      const [key] = keysFor(purpose);
      return `${body}.${mac(key!, body).toString("base64url")}`;
    },
    verify(purpose, token, { maxAgeSeconds, nowSeconds, futureToleranceSeconds = DEFAULT_FUTURE_TOLERANCE_SECONDS }) {
      if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "invalid" };
      const dot = token.indexOf(".");
      if (dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "invalid" };
      const body = token.slice(0, dot);
      const given = strictBase64url(token.slice(dot + 1));
      if (!given || given.length !== 32) return { ok: false, reason: "invalid" };
      const matched = keysFor(purpose).some((key) => timingSafeEqual(mac(key, body), given));
      if (!matched) return { ok: false, reason: "invalid" };
      const decoded = strictBase64url(body);
      if (!decoded) return { ok: false, reason: "invalid" };
      let payload: unknown;
      try {
        payload = JSON.parse(decoded.toString("utf8"));
      } catch {
        return { ok: false, reason: "invalid" };
      }
      if (!payload || typeof payload !== "object" || Array.isArray(payload)) return { ok: false, reason: "invalid" };
      const iat = (payload as Record<string, unknown>).iat;
      if (typeof iat !== "number" || !Number.isFinite(iat)) return { ok: false, reason: "invalid" };
      if (maxAgeSeconds !== undefined && nowSeconds - iat > maxAgeSeconds) return { ok: false, reason: "expired" };
      if (iat - nowSeconds > futureToleranceSeconds) return { ok: false, reason: "expired" };
      return {
        ok: true,
        payload: payload as Record<string, unknown>,
        issuedAt: iat,
        marker: `${purpose}:${given.toString("base64url")}`,
      };
    },
  };
}
