import type { MfaProof } from "./contracts.js";

/**
 * How a multi-factor proof is stored: two columns (kind, method) on sessions, one short tag ("tf:<method>",
 * "mf:<method>") in the remember table and in Redis. Anything unrecognised reads as no proof, which only ever
 * asks for more.
 */
const KINDS = ["second-factor", "multi-factor-sign-in"] as const;

export function mfaProofFromColumns(kind: string | null | undefined, method: string | null | undefined): MfaProof | null {
  if (!method || !(KINDS as readonly string[]).includes(kind ?? "")) return null;
  return { kind: kind as MfaProof["kind"], method };
}

export function mfaProofToTag(proof: MfaProof | null): string | null {
  if (!proof) return null;
  return `${proof.kind === "second-factor" ? "tf" : "mf"}:${proof.method}`;
}

export function mfaProofFromTag(tag: string | null | undefined): MfaProof | null {
  if (!tag || tag.length < 4) return null;
  if (tag.startsWith("tf:")) return { kind: "second-factor", method: tag.slice(3) };
  if (tag.startsWith("mf:")) return { kind: "multi-factor-sign-in", method: tag.slice(3) };
  return null;
}
