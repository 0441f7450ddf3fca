/** `rampart serve`: the standalone server (see src/server/standalone.ts), with graceful shutdown. */
import { Command } from "commander";
import { startStandaloneServer } from "../server/standalone.js";
import { CliError } from "./errors.js";

export function parsePort(value: string, source: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new CliError(`${source} must be a port number (0-65535), got "${value}"`);
  return Number(text);
}

export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Run the standalone server, configured by environment variables (Flask-Security names: SECRET_KEY, " +
        "SECURITY_PASSWORD_SALT, SECURITY_*, DATABASE_URL, REDIS_URL; RAMPART_DEVELOPMENT=true for development mode).",
    )
    .option("--port <n>", "port to listen on (default: $PORT or 5000; 0 picks a free one)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (opts: { port?: string; host: string }) => {
      const port =
        opts.port !== undefined
          ? parsePort(opts.port, "--port")
          : process.env.PORT
            ? parsePort(process.env.PORT, "PORT")
            : 5000;
      const running = await startStandaloneServer({ env: process.env, port, host: opts.host });
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`[rampart] ${signal} again: exiting now.`);
          process.exit(1);
        }
        stopping = true;
        console.log(`[rampart] ${signal} received: shutting down.`);
        running.close().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(`[rampart] shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      // The action resolves while the server keeps the process alive.
      await new Promise<void>((resolve) => running.server.once("close", () => resolve()));
    });
}
