import type { MfaProof, SessionRecord } from "./contracts.js";
import type { AuthnMethod, SecondFactorMethod } from "../core/methods.js";

/**
 * How a multi-factor proof is stored: two columns (kind, method) on sessions, one short tag ("tf:<method>",
 * "mf:<method>") in the remember table and in Redis. Anything unrecognised reads as no proof, which only ever
 * asks for more.
 */
const KINDS = ["second-factor", "multi-factor-sign-in"] as const;

export function mfaProofFromColumns(
  kind: string | null | undefined,
  method: string | null | undefined,
): MfaProof | null {
  if (!method || !(KINDS as readonly string[]).includes(kind ?? "")) return null;
  return { kind: kind as MfaProof["kind"], method } as MfaProof;
}

export function mfaProofToTag(proof: MfaProof | null): string | null {
  if (!proof) return null;
  return `${proof.kind === "second-factor" ? "tf" : "mf"}:${proof.method}`;
}

export function mfaProofFromTag(tag: string | null | undefined): MfaProof | null {
  if (!tag || tag.length < 4) return null;
  if (tag.startsWith("tf:")) return { kind: "second-factor", method: tag.slice(3) as SecondFactorMethod };
  if (tag.startsWith("mf:")) return { kind: "multi-factor-sign-in", method: tag.slice(3) as AuthnMethod };
  return null;
}

type SessionState = Pick<SessionRecord, "mfaProof" | "rotatePending" | "rememberId">;

/**
 * The session state as the JSON `data` an older Rampart (before typed session state) reads. Written next to
 * the typed fields so instances of both versions agree during a rolling upgrade: the remember record a revoke
 * must end, a pending rotation, the multi-factor proof.
 */
export function legacyStateJson(state: SessionState): string {
  const data: Record<string, unknown> = {};
  const sf = mfaProofToTag(state.mfaProof);
  if (sf) data.sf = sf;
  if (state.rememberId) data.rm = state.rememberId;
  if (state.rotatePending) data.rotate = true;
  return JSON.stringify(data);
}

/** The typed state, completed from `data` written by an older Rampart (a field it set and the typed one lacks). */
export function withLegacyState(typed: SessionState, legacy: string | null | undefined): SessionState {
  if (!legacy || legacy === "{}") return typed;
  let old: Record<string, unknown>;
  try {
    old = JSON.parse(legacy) as Record<string, unknown>;
  } catch {
    return typed;
  }
  if (!old || typeof old !== "object") return typed;
  return {
    mfaProof: typed.mfaProof ?? mfaProofFromTag(typeof old.sf === "string" ? old.sf : null),
    rotatePending: typed.rotatePending || old.rotate === true,
    rememberId: typed.rememberId ?? (typeof old.rm === "string" ? old.rm : null),
  };
}
