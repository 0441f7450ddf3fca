import { createHash } from "node:crypto";
import type { Runtime } from "./runtime.js";

/**
 * Emailed one-time links (confirm, reset, change-email): signed for one purpose, timestamped, carrying short
 * facts that must still hold when the link is used — the user's fs_uniquifier and fingerprints of the email or
 * password hash. Nothing is stored server-side; a link stops working when those facts change (a reset changes
 * the password, so a reset link works once).
 */
export type LinkCheck = { ok: true; data: string[] } | { ok: false; reason: "invalid" | "expired" };

export function signLinkToken(rt: Runtime, purpose: string, data: string[]): string {
  return rt.signer.sign(`link:${purpose}`, { d: data }, Math.floor(rt.now().getTime() / 1000));
}

export function verifyLinkToken(rt: Runtime, purpose: string, token: unknown, maxAgeSeconds: number): LinkCheck {
  if (typeof token !== "string" || !token) return { ok: false, reason: "invalid" };
  const result = rt.signer.verify(`link:${purpose}`, token, { maxAgeSeconds, nowSeconds: Math.floor(rt.now().getTime() / 1000) });
  if (!result.ok) return result;
  const d = result.payload.d;
  if (!Array.isArray(d) || !d.every((x) => typeof x === "string")) return { ok: false, reason: "invalid" };
  return { ok: true, data: d };
}

/** A short, non-reversible stand-in for a value bound into a link (an email, a password hash). */
export function fingerprint(value: string | null): string {
  return createHash("sha256").update(value ?? "", "utf8").digest("base64url").slice(0, 22);
}
