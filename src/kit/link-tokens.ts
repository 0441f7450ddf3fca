import { createHash } from "node:crypto";
import { z } from "zod";
import { defineCodec, type Codec } from "../core/codec.js";
import type { Runtime } from "../core/runtime.js";

/**
 * Emailed one-time links (confirm, reset, change-email): signed for one purpose, timestamped, carrying short
 * facts that must still hold when the link is used — the user's fs_uniquifier and fingerprints of the email or
 * password hash. Nothing is stored server-side; a link stops working when those facts change (a reset changes
 * the password, so a reset link works once).
 */
export type LinkCheck = { ok: true; data: string[] } | { ok: false; reason: "invalid" | "expired" };

const linkCodecs = new Map<string, Codec<string[]>>();

/** The codec of one link purpose ("confirm", "reset", …); the age limit is the caller's, per use. */
function linkCodec(purpose: string, maxAgeSeconds?: number): Codec<string[]> {
  const key = `${purpose}:${maxAgeSeconds ?? ""}`;
  let codec = linkCodecs.get(key);
  if (!codec) {
    codec = defineCodec({
      purpose: `link:${purpose}`,
      maxAgeSeconds: () => maxAgeSeconds,
      wire: z.object({ d: z.array(z.string()) }),
      encode: (data: string[]) => ({ d: data }),
      decode: (w) => w.d,
    });
    linkCodecs.set(key, codec);
  }
  return codec;
}

export function signLinkToken(rt: Runtime, purpose: string, data: string[]): string {
  return linkCodec(purpose).seal(rt, data);
}

export function verifyLinkToken(rt: Runtime, purpose: string, token: unknown, maxAgeSeconds: number): LinkCheck {
  const opened = linkCodec(purpose, maxAgeSeconds).open(rt, token);
  return opened.ok ? { ok: true, data: opened.value } : opened;
}

/** A short, non-reversible stand-in for a value bound into a link (an email, a password hash). */
export function fingerprint(value: string | null): string {
  return createHash("sha256")
    .update(value ?? "", "utf8")
    .digest("base64url")
    .slice(0, 22);
}
