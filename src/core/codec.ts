import type { z } from "zod";
import type { Runtime } from "./runtime.js";

/**
 * One codec per purpose of a signed value (CSRF token, flash, auth token, emailed link, pending sign-in…): the
 * purpose it is signed for, how old it may be, and its payload as a schema. The short names on the wire stay
 * inside the codec; callers seal and open typed values, and a payload that does not match its schema is as
 * invalid as a bad signature — nobody parses signed payloads by hand.
 */
/** `marker`: the key for remembering a single-use value as used (the verified signature, not the token's text). */
export type Opened<T> =
  { ok: true; value: T; issuedAtSeconds: number; marker: string } | { ok: false; reason: "invalid" | "expired" };

export interface Codec<T> {
  readonly purpose: string;
  seal(rt: Runtime, value: T): string;
  open(rt: Runtime, token: unknown): Opened<T>;
}

export interface CodecSpec<T, W extends Record<string, unknown>> {
  purpose: string;
  /** Oldest accepted age in seconds, read from the configuration when a value is opened (undefined: no limit). */
  maxAgeSeconds(rt: Runtime): number | undefined;
  /** The payload as signed. */
  wire: z.ZodType<W>;
  encode(value: T): W;
  decode(wire: W): T;
}

export function defineCodec<T, W extends Record<string, unknown>>(spec: CodecSpec<T, W>): Codec<T> {
  return {
    purpose: spec.purpose,
    seal(rt, value) {
      return rt.signer.sign(spec.purpose, spec.encode(value), nowSeconds(rt));
    },
    open(rt, token) {
      if (typeof token !== "string" || !token) return { ok: false, reason: "invalid" };
      const verified = rt.signer.verify(spec.purpose, token, {
        maxAgeSeconds: spec.maxAgeSeconds(rt),
        nowSeconds: nowSeconds(rt),
        futureToleranceSeconds: rt.config.clock.futureToleranceSeconds,
      });
      if (!verified.ok) return verified;
      const parsed = spec.wire.safeParse(verified.payload);
      if (!parsed.success) return { ok: false, reason: "invalid" };
      return { ok: true, value: spec.decode(parsed.data), issuedAtSeconds: verified.issuedAt, marker: verified.marker };
    },
  };
}

function nowSeconds(rt: Runtime): number {
  return Math.floor(rt.now().getTime() / 1000);
}
