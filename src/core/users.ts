import type { UserRecord } from "../datastore/contracts.js";
import type { Runtime } from "./runtime.js";

/**
 * Resolves a typed identity to a user through the configured identity attributes (email, then username when
 * enabled), as Flask-Security's USER_IDENTITY_ATTRIBUTES mappers do. Lookups are case-insensitive.
 */
export async function findUserByIdentity(rt: Runtime, identity: string): Promise<UserRecord | null> {
  const value = identity.trim();
  if (!value || value.length > 320) return null;
  if (value.includes("@")) {
    const byEmail = await rt.datastore.users.findByEmail(value);
    if (byEmail) return byEmail;
  }
  if (rt.config.username.enable) return rt.datastore.users.findByUsername(value.normalize("NFKD"));
  return null;
}

export function identityAttributes(rt: Runtime): string[] {
  return rt.config.username.enable ? ["email", "username"] : ["email"];
}
