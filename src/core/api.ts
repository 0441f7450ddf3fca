import type { AuditEventRecord, RoleRecord, SessionRecord, UserRecord } from "../datastore/contracts.js";
import { mintAccessToken } from "./tokens/access-token.js";
import { ApiError } from "./errors.js";
import type { Runtime } from "./runtime.js";
import { findUserByIdentity } from "./users.js";
import { parseUserField, publicUser, type PublicUser, type UserFieldInput, type UserFields } from "./public-user.js";
import { sweepUserSessions } from "./session-cookies.js";
import type { AuditEvent, AuditWriter } from "./audit.js";
import { revokeSessions } from "./revoke-sessions.js";
import { forgetFailures, lockState } from "./lockout/lockout.js";
import { changeUserPassword } from "./change-user-password.js";
import { afterCommit } from "./after-commit.js";
import type { MessageKey } from "./messages.js";
import type { ClockReading } from "./clock-skew.js";
import { checkNewPassword, checkUsername, normalizeEmailAddress } from "./policy/index.js";

/**
 * Rampart's operations as typed server-side functions (the CLI and apps call these). Every change that
 * affects access rotates what it must: a new password or a reset of access rotates fs_uniquifier (sessions,
 * remember cookies and tokens die), deactivation ends sessions, remember cookies and tokens for good, a role
 * change marks sessions for rotation.
 */
export interface CreateUserInput<F extends UserFields = UserFields> {
  email: string;
  password?: string | null;
  username?: string | null;
  active?: boolean;
  confirmed?: boolean;
  roles?: string[];
  /** Declared user fields, each checked by its schema (server code may set every declared field, `update: false` ones too). */
  profile?: UserFieldInput<F>;
}

export interface Api<F extends UserFields = UserFields> {
  createUser(input: CreateUserInput<F>): Promise<UserRecord>;
  findUser(identity: string): Promise<UserRecord | null>;
  listUsers(options?: { limit?: number; offset?: number }): Promise<UserRecord[]>;
  hashPassword(password: string): Promise<string>;
  /** The view of a user that is safe to hand out (what guards give apps): no hash, uniquifiers or factor secrets. */
  publicUser(user: UserRecord): PublicUser<F>;
  /** Sets a new password (the password policy), rotates both uniquifiers and ends every session, as /change does (audit, password_changed). */
  changePassword(user: UserRef, password: string): Promise<void>;
  /** Returns false when the user already had that state. */
  activateUser(user: UserRef): Promise<boolean>;
  deactivateUser(user: UserRef): Promise<boolean>;
  /** Marks the email confirmed now; false when it already was. */
  confirmUser(user: UserRef): Promise<boolean>;
  /** Deletes the user, their sessions and role links (the audit log keeps its entries); false when already gone. */
  deleteUser(user: UserRef): Promise<boolean>;
  /** Rotates both uniquifiers, ends sessions, wipes second factors; keeps the password. */
  resetAccess(user: UserRef): Promise<void>;
  /**
   * Forgets the account's failed attempts and lifts its wait or lock (also a lock at LOCKOUT_MAX_FAILURES);
   * true when it was waiting or locked (then audited and emitted as `user_unlocked`).
   */
  unlockUser(user: UserRef): Promise<boolean>;
  /** The account's lockout state: consecutive failures counted, and whether (and how long) it must wait. */
  lockState(user: UserRef): Promise<{ failures: number; locked: boolean; retryAfterSeconds: number | null }>;
  createRole(input: { name: string; description?: string | null; permissions?: string[] }): Promise<RoleRecord>;
  listRoles(): Promise<RoleRecord[]>;
  findRole(name: string): Promise<RoleRecord | null>;
  addRoleToUser(user: UserRef, roleName: string): Promise<boolean>;
  removeRoleFromUser(user: UserRef, roleName: string): Promise<boolean>;
  addPermissions(roleName: string, permissions: string[]): Promise<RoleRecord>;
  removePermissions(roleName: string, permissions: string[]): Promise<RoleRecord>;
  rolesOf(user: UserRef): Promise<RoleRecord[]>;
  listSessions(user: UserRef): Promise<SessionRecord[]>;
  /** Ends one session of the user (0 when the id names none of theirs) or all of them, as POST /sessions/revoke does. */
  revokeSessions(user: UserRef, which: { id: string } | { scope: "all" }): Promise<number>;
  auditEvents(filter?: {
    userId?: number;
    event?: string;
    limit?: number;
    beforeId?: number;
  }): Promise<AuditEventRecord[]>;
  issueAuthToken(user: UserRef): Promise<string>;
  /**
   * This instance's clock against the database's: the last reading (measured at start and every
   * RAMPART_CLOCK_CHECK_INTERVAL), or a fresh one with `{ measure: true }`. Null before any succeeded.
   */
  clockSkew(options?: { measure?: boolean }): Promise<ClockReading | null>;
}

export { ApiError };

function fieldError(field: string, text: string): ApiError {
  const error = new ApiError("INVALID_FIELD", 400, { field });
  error.field = field;
  error.message = `${field}: ${text}`;
  return error;
}

/** A user as the api accepts it: the row, or the public view a guard handed out. */
export type UserRef = UserRecord | PublicUser<any>;

function isRow(user: UserRef): user is UserRecord {
  return "fsUniquifier" in user;
}

export function createApi<F extends UserFields = UserFields>(rt: Runtime): Api<F> {
  const { datastore } = rt;
  const writeAudit: AuditWriter = (e) =>
    datastore.audit.append({
      at: rt.now(),
      event: e.event,
      outcome: e.outcome,
      userId: e.user?.id ?? null,
      identity: e.identity ?? e.user?.email ?? null,
      ip: null,
      userAgent: "api",
      details: e.details ?? null,
    });
  const audit = (event: AuditEvent, user: UserRef | null, details?: Record<string, unknown>) =>
    datastore.audit.append({
      at: rt.now(),
      event,
      outcome: "success",
      userId: user?.id ?? null,
      identity: user?.email ?? null,
      ip: null,
      userAgent: "api",
      details: details ?? null,
    });

  /** The same password policy as every form (length, breached list, complexity). */
  async function checkPassword(
    password: string,
    context: { email?: string | null; username?: string | null },
  ): Promise<void> {
    const [problem] = await checkNewPassword(rt, password, context);
    if (problem) throw new ApiError(problem.code as MessageKey, 400, problem.params);
  }

  async function role(name: string): Promise<RoleRecord> {
    const found = await datastore.roles.findByName(name);
    if (!found) throw new TypeError(`no role named "${name}"`);
    return found;
  }

  /** The current row of a user given as a row or as its public view. */
  async function rowOf(user: UserRef): Promise<UserRecord> {
    if (isRow(user)) return user;
    const found = await datastore.users.findById(user.id);
    if (!found) throw new TypeError(`no user with id ${user.id}`);
    return found;
  }

  async function markSessionsForRotation(user: UserRef): Promise<void> {
    for (const s of await rt.sessions.listForUser(user.id)) await rt.sessions.update(s.id, { rotatePending: true });
  }

  const api: Api<F> = {
    async createUser(input) {
      const email = normalizeEmailAddress(input.email);
      if (!email.ok) throw new ApiError(email.code, 400);
      let username: string | null = null;
      if (input.username !== undefined && input.username !== null) {
        const checked = checkUsername(rt.config.username, input.username);
        if (!checked.ok) throw new ApiError(checked.ref.code as MessageKey, 400, checked.ref.params);
        username = checked.username;
      }
      const profile: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(input.profile ?? {})) {
        const spec = Object.hasOwn(rt.userFields, name) ? rt.userFields[name] : undefined;
        if (!spec) throw fieldError(name, "not a declared user field");
        const parsed = parseUserField(spec, value);
        if (!parsed.ok) throw fieldError(name, parsed.text);
        if (parsed.value !== undefined)
          Object.defineProperty(profile, name, {
            value: parsed.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      if (typeof input.password === "string") await checkPassword(input.password, { email: email.email, username });
      const password = typeof input.password === "string" ? await rt.hasher.hash(input.password) : null;
      const user = await datastore.transaction(async (tx) => {
        const created = await tx.users.create({
          email: email.email,
          username,
          password,
          active: input.active ?? true,
          confirmedAt: input.confirmed ? rt.now() : null,
          profile: Object.keys(profile).length ? profile : null,
        });
        for (const name of input.roles ?? []) {
          const r = await tx.roles.findByName(name);
          if (!r) throw new TypeError(`no role named "${name}"`);
          await tx.roles.addRoleToUser(created.id, r.id);
        }
        return created;
      });
      await audit("user_created", user, { roles: input.roles ?? [] });
      return user;
    },
    findUser: (identity) => findUserByIdentity(rt, identity),
    listUsers: (options) => datastore.users.list(options),
    hashPassword: (password) => rt.hasher.hash(password),
    publicUser: (user) => publicUser(user, rt.userFields) as PublicUser<F>,
    async changePassword(given, password) {
      const user = await rowOf(given);
      // Unlike FS (whose token uniquifier lets tokens survive), a new password ends every token too. The operation
      // /change performs, on the stored row (an admin's change wins over the hash `given` was read with).
      const fresh = (await datastore.users.findById(user.id)) ?? user;
      const changed = await changeUserPassword(rt, fresh, password, { audit: writeAudit, details: { by: "admin" } });
      if (!changed.ok) {
        if ("problems" in changed)
          throw new ApiError(changed.problems[0]!.code as MessageKey, 400, changed.problems[0]!.params);
        throw new ApiError("API_ERROR", 409);
      }
      Object.assign(user, {
        password: fresh.password,
        fsUniquifier: fresh.fsUniquifier,
        fsTokenUniquifier: fresh.fsTokenUniquifier,
      });
    },
    async activateUser(given) {
      const user = await rowOf(given);
      if (user.active) return false;
      await datastore.users.update(user.id, { active: true });
      user.active = given.active = true;
      await audit("user_activated", user);
      return true;
    },
    async deactivateUser(given) {
      const user = await rowOf(given);
      if (!user.active) return false;
      // Deactivation ends every credential for good, not only while inactive: a reactivated account must not
      // find its old sessions, remember cookies or auth tokens working again. All of it in the database.
      const rotated = await datastore.transaction(async (tx) => {
        await tx.users.update(user.id, { active: false });
        await tx.remember.deleteForUser(user.id);
        return {
          fsUniquifier: await tx.users.rotateUniquifier(user.id),
          fsTokenUniquifier: await tx.users.rotateTokenUniquifier(user.id),
        };
      });
      Object.assign(user, rotated, { active: false });
      given.active = false;
      await sweepUserSessions(rt, user.id);
      // Committed: a failing revocation is logged (the new fs_uniquifier already ends the families).
      await afterCommit(rt, "the refresh token revocation", async () =>
        rt.services.tokenFamilies?.revokeForUser(rt, user, "deactivated", { audit: writeAudit }),
      );
      await audit("user_deactivated", user);
      return true;
    },
    async confirmUser(given) {
      const user = await rowOf(given);
      if (user.confirmedAt) return false;
      const at = rt.now();
      if (!(await datastore.users.markConfirmed(user.id, at, { fsUniquifier: user.fsUniquifier, email: user.email })))
        return false;
      user.confirmedAt = at;
      await audit("user_confirmed", user, { by: "admin" });
      return true;
    },
    async deleteUser(given) {
      // Only "no such user" is false: a database that cannot answer is an error, not an absent user.
      const user = await rowOf(given).catch((error: unknown) => {
        if (error instanceof TypeError) return null;
        throw error;
      });
      if (!user) return false;
      // Sessions first: with Redis they live outside the database the row is deleted from.
      await rt.sessions.deleteForUser(user.id);
      if (!(await datastore.users.delete(user.id))) return false;
      await audit("user_deleted", user);
      return true;
    },
    async resetAccess(given) {
      const user = await rowOf(given);
      await datastore.users.update(user.id, {
        tfPrimaryMethod: null,
        tfTotpSecret: null,
        tfPhoneNumber: null,
        usTotpSecrets: null,
        usPhoneNumber: null,
        mfRecoveryCodes: null,
      });
      user.fsUniquifier = await datastore.users.rotateUniquifier(user.id);
      user.fsTokenUniquifier = await datastore.users.rotateTokenUniquifier(user.id);
      await datastore.remember.deleteForUser(user.id);
      // Passkeys too (FS reset_user_access): a stolen device's credential must not outlive the reset.
      await rt.services.passkeys?.deleteForUser(user);
      // And linked provider identities: whoever had the account may have linked their own.
      await rt.services.oauth?.deleteForUser(user);
      await sweepUserSessions(rt, user.id);
      await afterCommit(rt, "the refresh token revocation", async () =>
        rt.services.tokenFamilies?.revokeForUser(rt, user, "reset_access", { audit: writeAudit }),
      );
      await audit("access_reset", user);
    },
    async createRole(input) {
      const r = await datastore.roles.create(input);
      await audit("role_created", null, { role: r.name });
      return r;
    },
    listRoles: () => datastore.roles.list(),
    findRole: (name) => datastore.roles.findByName(name),
    async addRoleToUser(user, roleName) {
      const r = await role(roleName);
      const added = await datastore.roles.addRoleToUser(user.id, r.id);
      if (added) {
        await markSessionsForRotation(user);
        await audit("role_added", user, { role: r.name });
      }
      return added;
    },
    async removeRoleFromUser(user, roleName) {
      const r = await role(roleName);
      const removed = await datastore.roles.removeRoleFromUser(user.id, r.id);
      if (removed) {
        await markSessionsForRotation(user);
        await audit("role_removed", user, { role: r.name });
      }
      return removed;
    },
    async addPermissions(roleName, permissions) {
      const r = await datastore.roles.addPermissions(roleName, permissions);
      if (!r) throw new TypeError(`no role named "${roleName}"`);
      await audit("role_permissions_added", null, { role: roleName, permissions });
      return r;
    },
    async removePermissions(roleName, permissions) {
      const r = await datastore.roles.removePermissions(roleName, permissions);
      if (!r) throw new TypeError(`no role named "${roleName}"`);
      await audit("role_permissions_removed", null, { role: roleName, permissions });
      return r;
    },
    rolesOf: (user) => datastore.roles.rolesOfUser(user.id),
    listSessions: (user) => rt.sessions.listForUser(user.id),
    async revokeSessions(given, which) {
      // The operation POST /sessions/revoke performs: the same remember clean-up, audit row and event.
      const user = await rowOf(given);
      const revoked = await revokeSessions(
        rt,
        user,
        "id" in which ? { scope: "one", id: which.id } : { scope: "all" },
        { audit: writeAudit, by: "admin" },
      );
      return revoked?.length ?? 0;
    },
    unlockUser: async (given) => forgetFailures(rt, await rowOf(given), { audit: writeAudit, via: "admin" }),
    lockState: async (given) => lockState(rt, await rowOf(given)),
    auditEvents: (filter) => datastore.audit.list(filter),
    issueAuthToken: async (user) => {
      const nowSeconds = Math.floor(rt.now().getTime() / 1000);
      const minted = await mintAccessToken(rt, await rowOf(user), {
        authenticatedAtSeconds: nowSeconds,
        amr: [],
        family: null,
      });
      return minted.token;
    },
    clockSkew: async (options) => (options?.measure ? rt.clockSkew.measure() : rt.clockSkew.last),
  };
  return api;
}
