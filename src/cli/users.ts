/** `rampart users …`: Flask-Security's `flask users` group over `api`. */
import { Command } from "commander";
import type { Api } from "../core/api.js";
import type { UserRecord } from "../datastore/contracts.js";
import type { Rampart } from "../create-rampart.js";
import { runtimeOf } from "../internal.js";
import { withRampart } from "./context.js";
import { CliError } from "./errors.js";
import { print, table, yesNo } from "./output.js";
import { obtainPassword } from "./prompt.js";

/** USER arguments are resolved with the identity attributes (email, then username when enabled). */
export async function requireUser(api: Api, identity: string): Promise<UserRecord> {
  const user = await api.findUser(identity);
  if (!user) throw new CliError(`User not found: ${identity}`);
  return user;
}

const CREATE_ATTRIBUTES = ["email", "username", "password", "active", "confirmed"] as const;
type CreateAttribute = (typeof CREATE_ATTRIBUTES)[number];

function parseBool(attr: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new CliError(`Invalid value for ${attr}: "${value}" (expected true or false)`);
}

/** ATTRIBUTES: a bare value is the email, else `attr:value` (Flask-Security's `users create`). */
export function parseAttributes(values: string[]): Partial<Record<CreateAttribute, string>> {
  const out: Partial<Record<CreateAttribute, string>> = {};
  for (const raw of values) {
    const colon = raw.indexOf(":");
    const [key, value] = colon === -1 ? ["email", raw] : [raw.slice(0, colon).trim(), raw.slice(colon + 1)];
    if (!(CREATE_ATTRIBUTES as readonly string[]).includes(key)) {
      throw new CliError(`Unknown attribute "${key}" (known: ${CREATE_ATTRIBUTES.join(", ")})`);
    }
    if (out[key as CreateAttribute] !== undefined) throw new CliError(`Attribute "${key}" given twice`);
    out[key as CreateAttribute] = value;
  }
  return out;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function createCommand(): Command {
  return new Command("create")
    .description(
      "Create a user. ATTRIBUTES: the email, or attr:value pairs (email, username, password, active, confirmed).",
    )
    .argument("<attributes...>", "email, or attr:value")
    .option("--password <password>", "the password (prompted twice when omitted on a terminal)")
    .option("-a, --active", "create the user active (default: inactive, as Flask-Security)", false)
    .option("-c, --confirmed", "mark the email confirmed (needed to sign in when SECURITY_CONFIRMABLE is on)", false)
    .option("-u, --username <username>", "the username")
    .option("--role <role>", "a role to grant (repeatable)", collect, [] as string[])
    .action(
      async (
        attributes: string[],
        opts: { password?: string; active: boolean; confirmed: boolean; username?: string; role: string[] },
      ) => {
        const attrs = parseAttributes(attributes);
        if (opts.username !== undefined) attrs.username = opts.username;
        const email = attrs.email?.trim();
        if (!email) throw new CliError("An email is required (give it as the first argument).");
        if (!EMAIL.test(email)) throw new CliError(`Invalid email address: ${email}`);
        if (opts.password !== undefined && attrs.password !== undefined)
          throw new CliError("Password given twice (--password and password:).");
        const active = opts.active || (attrs.active !== undefined && parseBool("active", attrs.active));
        const confirmed = opts.confirmed || (attrs.confirmed !== undefined && parseBool("confirmed", attrs.confirmed));
        const roles = [...new Set(opts.role)];
        await withRampart(async (rampart) => {
          const { api, config } = rampart;
          const username = attrs.username?.trim() || null;
          if (username !== null) {
            const length = [...username].length;
            if (length < config.username.minLength || length > config.username.maxLength) {
              throw new CliError(
                `Username must be between ${config.username.minLength} and ${config.username.maxLength} characters.`,
              );
            }
            if (!config.username.enable) {
              console.error(
                "note: SECURITY_USERNAME_ENABLE is off: the username is stored but cannot be used to sign in.",
              );
            }
          } else if (config.username.enable && config.username.required) {
            throw new CliError("A username is required (SECURITY_USERNAME_REQUIRED): pass -u/--username.");
          }
          for (const name of roles) {
            if (!(await api.findRole(name)))
              throw new CliError(`Cannot find role: ${name} (create it with: rampart roles create ${name})`);
          }
          if (await api.findUser(email)) throw new CliError(`A user with email ${email} already exists.`);
          const password = await obtainPassword(opts.password ?? attrs.password);
          const user = await api.createUser({ email, username, password, active, confirmed, roles });
          print("User created successfully.");
          const shown: [string, string][] = [
            ["id", String(user.id)],
            ["email", user.email],
            ...(user.username ? [["username", user.username] as [string, string]] : []),
            ["password", "****"],
            ["active", String(user.active)],
            ...(confirmed ? [["confirmed", "true"] as [string, string]] : []),
            ...(roles.length ? [["roles", roles.join(", ")] as [string, string]] : []),
          ];
          for (const [k, v] of shown) print(`  ${k}: ${v}`);
          warnIfCannotSignIn(rampart, user);
        });
      },
    );
}

/** Tells the operator (stderr) why a user just created cannot sign in yet, and the command that fixes it. */
function warnIfCannotSignIn(rampart: Rampart, user: UserRecord): void {
  const reasons: string[] = [];
  if (!user.active)
    reasons.push(`the user is inactive (run: rampart users activate ${user.email}, or create with --active)`);
  if (runtimeOf(rampart).services.confirmation?.pending(user)) {
    reasons.push(
      `the email is not confirmed and SECURITY_CONFIRMABLE is on (run: rampart users confirm ${user.email}, or create with --confirmed)`,
    );
  }
  if (reasons.length) console.error(`note: ${user.email} cannot sign in yet: ${reasons.join("; ")}.`);
}

function listCommand(): Command {
  return new Command("list")
    .description("List users: id, email, username, active, confirmed, roles.")
    .option("--limit <n>", "at most this many", (v) => positiveInt("--limit", v))
    .option("--offset <n>", "skip this many", (v) => positiveInt("--offset", v, true))
    .option(
      "--json",
      "print a JSON array (id, email, username, active, confirmed, confirmedAt, roles) instead of a table",
      false,
    )
    .action(async (opts: { limit?: number; offset?: number; json: boolean }) => {
      await withRampart(async ({ api }) => {
        const users = await api.listUsers({
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
        });
        if (opts.json) {
          const out = [];
          for (const u of users) {
            const roles = (await api.rolesOf(u)).map((r) => r.name);
            out.push({
              id: u.id,
              email: u.email,
              username: u.username,
              active: u.active,
              confirmed: u.confirmedAt !== null,
              confirmedAt: u.confirmedAt?.toISOString() ?? null,
              roles,
            });
          }
          print(JSON.stringify(out, null, 2));
          return;
        }
        if (users.length === 0) {
          print("No users.");
          return;
        }
        const rows: string[][] = [];
        for (const u of users) {
          const roles = (await api.rolesOf(u)).map((r) => r.name).join(",");
          rows.push([String(u.id), u.email, u.username ?? "", yesNo(u.active), yesNo(u.confirmedAt !== null), roles]);
        }
        print(table(["id", "email", "username", "active", "confirmed", "roles"], rows));
      });
    });
}

export function positiveInt(name: string, value: string, allowZero = false): number {
  if (!/^\d+$/.test(value) || (!allowZero && Number(value) === 0))
    throw new CliError(`${name} expects a ${allowZero ? "non-negative" : "positive"} whole number, got "${value}"`);
  return Number(value);
}

function activationCommand(name: "activate" | "deactivate"): Command {
  return new Command(name)
    .description(name === "activate" ? "Activate a user." : "Deactivate a user (ends their sessions).")
    .argument("<user>", "email (or username when enabled)")
    .action(async (identity: string) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        const changed = name === "activate" ? await api.activateUser(user) : await api.deactivateUser(user);
        print(changed ? `User "${user.email}" has been ${name}d.` : `User "${user.email}" was already ${name}d.`);
      });
    });
}

function confirmCommand(): Command {
  return new Command("confirm")
    .description("Mark a user's email confirmed (as following the confirmation link does).")
    .argument("<user>", "email (or username when enabled)")
    .action(async (identity: string) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        print(
          (await api.confirmUser(user))
            ? `User "${user.email}" has been confirmed.`
            : `User "${user.email}" was already confirmed.`,
        );
      });
    });
}

function deleteCommand(): Command {
  return new Command("delete")
    .description("Delete a user with their sessions and role links (the audit log keeps its entries).")
    .argument("<user>", "email (or username when enabled)")
    .option("-y, --yes", "really delete (required: there is no undo)", false)
    .action(async (identity: string, opts: { yes: boolean }) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        if (!opts.yes) throw new CliError(`Deleting "${user.email}" cannot be undone: pass --yes to confirm.`);
        await api.deleteUser(user);
        print(`User "${user.email}" has been deleted.`);
      });
    });
}

function resetAccessCommand(): Command {
  return new Command("reset-access")
    .alias("reset_access")
    .description("Revoke every session, auth token, second factor and recovery code of a user (the password is kept).")
    .argument("<user>", "email (or username when enabled)")
    .action(async (identity: string) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        await api.resetAccess(user);
        print(
          `Access of user "${user.email}" has been reset: sessions, auth tokens and second factors revoked; password kept.`,
        );
      });
    });
}

function changePasswordCommand(): Command {
  return new Command("change-password")
    .alias("change_password")
    .description("Set a user's password (validated by the password policy; ends their sessions and tokens).")
    .argument("<user>", "email (or username when enabled)")
    .option("--password <password>", "the new password (prompted twice when omitted on a terminal)")
    .action(async (identity: string, opts: { password?: string }) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        const password = await obtainPassword(opts.password, "New password");
        await api.changePassword(user, password);
        print(`Password of user "${user.email}" has been changed; their sessions and tokens were ended.`);
      });
    });
}

function unlockCommand(): Command {
  return new Command("unlock")
    .description(
      "Lift a user's lockout: forget their failed sign-in attempts, also after LOCKOUT_MAX_FAILURES (audited as user_unlocked).",
    )
    .argument("<user>", "email (or username when enabled)")
    .action(async (identity: string) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        print(
          (await api.unlockUser(user))
            ? `User "${user.email}" has been unlocked.`
            : `User "${user.email}" was not locked.`,
        );
      });
    });
}

export function usersCommand(): Command {
  return new Command("users")
    .description("Manage users.")
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(activationCommand("activate"))
    .addCommand(activationCommand("deactivate"))
    .addCommand(confirmCommand())
    .addCommand(deleteCommand())
    .addCommand(resetAccessCommand())
    .addCommand(changePasswordCommand())
    .addCommand(unlockCommand());
}
