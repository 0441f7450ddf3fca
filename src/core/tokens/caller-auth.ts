import type { Caller } from "../identity.js";
import { amrOf } from "./amr.js";

/** How a caller proved themselves, as guards and the token endpoint report it. */
export interface CallerAuthentication {
  /** "jwt" is the token mechanism with a JWT access token; "token" is Rampart's own format. */
  via: "session" | "token" | "jwt" | "basic";
  /** Authentication methods proved (RFC 8176 names); empty when none is known (a session restored by remember-me). */
  amr: string[];
  /** Primary authentication time, or null when unknown (a session restored from a remember cookie). */
  authenticatedAt: Date | null;
  /** When the presented access token stops working; null for sessions and basic. */
  tokenExpiresAt: Date | null;
}

/**
 * One derivation for every reader: a session's methods come from what it recorded at sign-in, a token's from the
 * token itself, and HTTP basic proves a password on each request.
 */
export function callerAuthentication(caller: Caller): CallerAuthentication {
  const at = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000) : null);
  const authenticatedAt = at(caller.authenticatedAtSeconds);
  if (caller.mechanism === "token" && caller.token) {
    const token = caller.token;
    return {
      via: token.format === "jwt" ? "jwt" : "token",
      amr: [...token.amr],
      authenticatedAt,
      tokenExpiresAt: new Date(token.expiresAtSeconds * 1000),
    };
  }
  if (caller.mechanism === "basic") return { via: "basic", amr: ["pwd"], authenticatedAt, tokenExpiresAt: null };
  const session = caller.session;
  const amr = session ? amrOf(session.authnVia, session.mfaProof?.kind === "multi-factor-sign-in") : [];
  // The session keeps the time to the millisecond; report it as stored.
  const exact = session && authenticatedAt ? new Date(session.authenticatedAt.getTime()) : authenticatedAt;
  return { via: caller.mechanism, amr, authenticatedAt: exact, tokenExpiresAt: null };
}
