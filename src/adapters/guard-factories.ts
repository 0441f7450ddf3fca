import type { Rampart } from "../create-rampart.js";
import type { Requirement } from "../core/authz.js";
import type { Mechanism } from "../core/identity.js";

/**
 * The guard middleware names every adapter exports, built once from the adapter's own
 * `requireRampart(rampart, requirement)` so each framework only writes how to apply a guard outcome.
 */
export interface GuardFactories<M> {
  loginRequired(rampart: Rampart): M;
  authRequired(rampart: Rampart, ...args: (Mechanism | { within?: number })[]): M;
  rolesRequired(rampart: Rampart, ...roles: string[]): M;
  rolesAccepted(rampart: Rampart, ...roles: string[]): M;
  permissionsRequired(rampart: Rampart, ...permissions: string[]): M;
  permissionsAccepted(rampart: Rampart, ...permissions: string[]): M;
  freshRequired(rampart: Rampart, withinSeconds: number): M;
}

export function guardFactories<M>(
  requireRampart: (rampart: Rampart, requirement: Requirement) => M,
): GuardFactories<M> {
  return {
    loginRequired: (rampart: Rampart) => requireRampart(rampart, rampart.guards.loginRequired()),
    authRequired: (rampart: Rampart, ...args: (Mechanism | { within?: number })[]) =>
      requireRampart(rampart, rampart.guards.authRequired(...args)),
    rolesRequired: (rampart: Rampart, ...roles: string[]) =>
      requireRampart(rampart, rampart.guards.rolesRequired(...roles)),
    rolesAccepted: (rampart: Rampart, ...roles: string[]) =>
      requireRampart(rampart, rampart.guards.rolesAccepted(...roles)),
    permissionsRequired: (rampart: Rampart, ...permissions: string[]) =>
      requireRampart(rampart, rampart.guards.permissionsRequired(...permissions)),
    permissionsAccepted: (rampart: Rampart, ...permissions: string[]) =>
      requireRampart(rampart, rampart.guards.permissionsAccepted(...permissions)),
    freshRequired: (rampart: Rampart, withinSeconds: number) =>
      requireRampart(rampart, rampart.guards.freshRequired(withinSeconds)),
  };
}
