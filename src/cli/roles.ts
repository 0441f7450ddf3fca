/** `rampart roles …`: Flask-Security's `flask roles` group over `api`. */
import { Command } from "commander";
import type { Api } from "../core/api.js";
import type { RoleRecord } from "../datastore/contracts.js";
import { withRampart } from "./context.js";
import { CliError } from "./errors.js";
import { commaList, print, table } from "./output.js";
import { requireUser } from "./users.js";

async function requireRole(api: Api, name: string): Promise<RoleRecord> {
  const role = await api.findRole(name);
  if (!role) throw new CliError(`Cannot find role: ${name}`);
  return role;
}

function permissionsArg(value: string): string[] {
  const list = commaList(value);
  if (list.length === 0) throw new CliError("No permissions given (expected a comma-separated list).");
  return list;
}

function createCommand(): Command {
  return new Command("create")
    .description("Create a role.")
    .argument("<name>", "role name")
    .option("-d, --description <text>", "description")
    .option("-p, --permissions <list>", "comma-separated permissions")
    .action(async (name: string, opts: { description?: string; permissions?: string }) => {
      const roleName = name.trim();
      if (!roleName) throw new CliError("A role name is required.");
      const permissions = opts.permissions !== undefined ? commaList(opts.permissions) : [];
      await withRampart(async ({ api }) => {
        if (await api.findRole(roleName)) throw new CliError(`Role "${roleName}" already exists.`);
        const role = await api.createRole({ name: roleName, description: opts.description ?? null, permissions });
        print(`Role "${role.name}" created successfully.`);
        if (role.description) print(`  description: ${role.description}`);
        if (role.permissions.length) print(`  permissions: ${role.permissions.join(", ")}`);
      });
    });
}

function listCommand(): Command {
  return new Command("list").description("List roles with their permissions.").action(async () => {
    await withRampart(async ({ api }) => {
      const roles = await api.listRoles();
      if (roles.length === 0) {
        print("No roles.");
        return;
      }
      print(
        table(
          ["id", "name", "description", "permissions"],
          roles.map((r) => [String(r.id), r.name, r.description ?? "", r.permissions.join(",")]),
        ),
      );
    });
  });
}

function membershipCommand(name: "add" | "remove"): Command {
  return new Command(name)
    .description(name === "add" ? "Grant a role to a user." : "Take a role from a user.")
    .argument("<user>", "email (or username when enabled)")
    .argument("<role>", "role name")
    .action(async (identity: string, roleName: string) => {
      await withRampart(async ({ api }) => {
        const user = await requireUser(api, identity);
        const role = await requireRole(api, roleName);
        if (name === "add") {
          const added = await api.addRoleToUser(user, role.name);
          print(
            added
              ? `Role "${role.name}" added to user "${user.email}" successfully.`
              : `User "${user.email}" already has role "${role.name}".`,
          );
        } else {
          const removed = await api.removeRoleFromUser(user, role.name);
          print(
            removed
              ? `Role "${role.name}" removed from user "${user.email}" successfully.`
              : `User "${user.email}" does not have role "${role.name}".`,
          );
        }
      });
    });
}

function permissionsCommand(name: "add-permissions" | "remove-permissions"): Command {
  const adding = name === "add-permissions";
  return new Command(name)
    .alias(name.replace("-", "_"))
    .description(adding ? "Add permissions to a role." : "Remove permissions from a role.")
    .argument("<role>", "role name")
    .argument("<permissions>", "comma-separated permissions")
    .action(async (roleName: string, permissionText: string) => {
      const permissions = permissionsArg(permissionText);
      await withRampart(async ({ api }) => {
        await requireRole(api, roleName);
        const role = adding
          ? await api.addPermissions(roleName, permissions)
          : await api.removePermissions(roleName, permissions);
        print(
          `Permission(s) "${permissions.join(", ")}" ${adding ? "added to" : "removed from"} role "${role.name}" successfully.`,
        );
        print(`  permissions: ${role.permissions.length ? role.permissions.join(", ") : "(none)"}`);
      });
    });
}

export function rolesCommand(): Command {
  return new Command("roles")
    .description("Manage roles and permissions.")
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(membershipCommand("add"))
    .addCommand(membershipCommand("remove"))
    .addCommand(permissionsCommand("add-permissions"))
    .addCommand(permissionsCommand("remove-permissions"));
}
