import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Purpose-bound signed tokens: `base64url(JSON payload).base64url(HMAC-SHA256)`. Each purpose ("auth-token",
 * "remember", "csrf", …) signs with its own key derived by HKDF from SECRET_KEY, so a token of one family can
 * never stand in for another. Fallback secrets verify (key rotation) but never sign.
 */
export type VerifyResult =
  | { ok: true; payload: Record<string, unknown>; issuedAt: number }
  | { ok: false; reason: "invalid" | "expired" };

export interface TokenSigner {
  sign(purpose: string, payload: Record<string, unknown>, nowSeconds: number): string;
  /** Verifies signature and, when maxAgeSeconds is given, age since signing. */
  verify(purpose: string, token: string, options: { maxAgeSeconds?: number; nowSeconds: number }): VerifyResult;
}

const MAX_TOKEN_LENGTH = 4096;

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
    verify(purpose, token, { maxAgeSeconds, nowSeconds }) {
      if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "invalid" };
      const dot = token.indexOf(".");
      if (dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "invalid" };
      const body = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), "base64url");
      if (given.length !== 32) return { ok: false, reason: "invalid" };
      const matched = keysFor(purpose).some((key) => timingSafeEqual(mac(key, body), given));
      if (!matched) return { ok: false, reason: "invalid" };
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      } catch {
        return { ok: false, reason: "invalid" };
      }
      if (!payload || typeof payload !== "object" || Array.isArray(payload)) return { ok: false, reason: "invalid" };
      const iat = (payload as Record<string, unknown>).iat;
      if (typeof iat !== "number" || !Number.isFinite(iat)) return { ok: false, reason: "invalid" };
      if (maxAgeSeconds !== undefined && nowSeconds - iat > maxAgeSeconds) return { ok: false, reason: "expired" };
      return { ok: true, payload: payload as Record<string, unknown>, issuedAt: iat };
    },
  };
}
