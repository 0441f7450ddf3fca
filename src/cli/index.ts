/**
 * The `rampart` command line (bin/rampart.mjs loads this). Every command reads DATABASE_URL (default
 * sqlite://./rampart.db) and the Flask-Security-named configuration from the environment. Errors print one
 * line (a config error lists each bad key) on stderr, never a stack trace; exit code 2 for usage and
 * validation errors, 1 for unexpected ones.
 */
import { Command, CommanderError } from "commander";
import { auditCommand } from "./audit.js";
import { doctorCommand } from "./doctor/index.js";
import { keysCommand } from "./keys.js";
import { describeError, EXIT_USAGE } from "./errors.js";
import { migrateCommand } from "./migrate.js";
import { openapiCommand } from "./openapi.js";
import { outboxCommand } from "./outbox.js";
import { rolesCommand } from "./roles.js";
import { secretsCommand } from "./secrets.js";
import { serveCommand } from "./serve.js";
import { usersCommand } from "./users.js";

export function buildProgram(): Command {
  const program = new Command("rampart")
    .description("Rampart: authentication compatible with Flask-Security-Too.")
    .version("0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .addCommand(serveCommand())
    .addCommand(migrateCommand())
    .addCommand(usersCommand())
    .addCommand(rolesCommand())
    .addCommand(secretsCommand())
    .addCommand(keysCommand())
    .addCommand(auditCommand())
    .addCommand(doctorCommand())
    .addCommand(outboxCommand())
    .addCommand(openapiCommand());
  // Usage errors exit 2 (as Click does), not commander's default 1.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI; resolves with the exit code (the caller exits). `serve` resolves when its server closes. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help / version).
      if (err.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    const { message, exitCode } = describeError(err);
    process.stderr.write(`Error: ${message}\n`);
    if (process.env.RAMPART_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    return exitCode;
  }
}

/** Entry point: runs and exits with the code once output is flushed. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const code = await run(argv);
  process.exitCode = code;
  // Let pending writes drain; then make sure no stray handle (a pool, a timer) keeps the process alive.
  setTimeout(() => process.exit(code), 1000).unref();
}
