import { z } from "zod";
import { defineCodec } from "../../core/codec.js";
import { usConfig } from "./methods.js";

/**
 * The state of a method being set up (POST /us-setup hands it out, POST /us-setup/<state> reads it): signed, valid
 * for US_SETUP_WITHIN. Nothing is stored server-side until the code for the new secret comes back.
 */
export interface SetupState {
  /** The fs_uniquifier of the user it was handed to (a state is no one else's, and dies with a uniquifier change). */
  uniquifier: string;
  method: string;
  /** The new method's secret, sealed with TOTP_SECRETS (the state travels through the client). */
  sealedSecret: string;
  /** The number the SMS method is being set up for (null for other methods). */
  phone: string | null;
  /** Tells the codes of one setup from another's (sent codes are derived from secret, time and nonce). */
  nonce: number;
  /** The user's two-factor method when the state was handed out (null: none): a change in between voids it. */
  factor: string | null;
}

// The wire names are the ones states were signed with before this codec: a state handed out by the previous
// version still validates after an upgrade.
export const setupStateCodec = defineCodec({
  purpose: "us-setup-state",
  maxAgeSeconds: (rt) => usConfig(rt).setupWithinSeconds,
  wire: z.object({
    u: z.string().min(1),
    m: z.string(),
    t: z.string().min(1),
    p: z.string().nullable(),
    n: z.number().int().nonnegative(),
    f: z.string().nullable(),
  }),
  encode: (s: SetupState) => ({
    u: s.uniquifier,
    m: s.method,
    t: s.sealedSecret,
    p: s.phone,
    n: s.nonce,
    f: s.factor,
  }),
  decode: (w): SetupState => ({
    uniquifier: w.u,
    method: w.m,
    sealedSecret: w.t,
    phone: w.p,
    nonce: w.n,
    factor: w.f,
  }),
});
