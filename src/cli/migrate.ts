/** `rampart migrate`: applies pending migrations to DATABASE_URL (no SECRET_KEY needed). */
import { Command } from "commander";
import { openDatastore } from "../datastore/open.js";
import { featureMigrations } from "../features/builtin.js";
import { databaseUrl, parseUrlOrExit, redactUrl } from "./context.js";
import { print } from "./output.js";

export async function runMigrate(env: Record<string, string | undefined> = process.env): Promise<string[]> {
  const url = databaseUrl(env);
  parseUrlOrExit(url);
  // A migration may rewrite a large table: no statement timeout here (requests keep theirs).
  const datastore = await openDatastore(url, { statementTimeoutMs: 0 });
  try {
    return await datastore.migrations.migrateToLatest(await featureMigrations());
  } finally {
    await datastore.close().catch(() => undefined);
  }
}

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("Apply pending database migrations (DATABASE_URL, default sqlite://./rampart.db).")
    .option("--check", "only list pending migrations; exit 3 when there are some")
    .action(async (opts: { check?: boolean }) => {
      const url = databaseUrl(process.env);
      if (opts.check) {
        parseUrlOrExit(url);
        const datastore = await openDatastore(url);
        try {
          const pending = await datastore.migrations.pending(await featureMigrations());
          if (pending.length === 0) print(`Database ${redactUrl(url)} is up to date.`);
          else {
            print(`Pending migrations on ${redactUrl(url)}:`);
            for (const name of pending) print(`  ${name}`);
            process.exitCode = 3;
          }
        } finally {
          await datastore.close().catch(() => undefined);
        }
        return;
      }
      const applied = await runMigrate(process.env);
      if (applied.length === 0) print(`Database ${redactUrl(url)} is up to date.`);
      else {
        print(`Applied ${applied.length} migration(s) to ${redactUrl(url)}:`);
        for (const name of applied) print(`  ${name}`);
      }
    });
}
