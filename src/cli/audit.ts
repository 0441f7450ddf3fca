/** `rampart audit list`: recent audit events, newest first. */
import { Command } from "commander";
import { withRampart } from "./context.js";
import { print, table } from "./output.js";
import { positiveInt, requireUser } from "./users.js";

export function auditCommand(): Command {
  return new Command("audit").description("Audit events.").addCommand(
    new Command("list")
      .description("Print recent audit events (newest first).")
      .option("--user <user>", "only events of this user (email, or username when enabled)")
      .option("--event <name>", "only events with this name (e.g. login, role_added)")
      .option("--limit <n>", "how many (default 50)", (v) => positiveInt("--limit", v), 50)
      .action(async (opts: { user?: string; event?: string; limit: number }) => {
        await withRampart(async ({ api }) => {
          const userId = opts.user !== undefined ? (await requireUser(api, opts.user)).id : undefined;
          const events = await api.auditEvents({
            limit: opts.limit,
            ...(userId !== undefined ? { userId } : {}),
            ...(opts.event ? { event: opts.event } : {}),
          });
          if (events.length === 0) {
            print("No audit events.");
            return;
          }
          print(
            table(
              ["id", "at", "event", "outcome", "user", "ip", "details"],
              events.map((e) => [
                String(e.id),
                e.at.toISOString(),
                e.event,
                e.outcome,
                e.identity ?? (e.userId !== null ? `#${e.userId}` : ""),
                e.ip ?? "",
                e.details ? JSON.stringify(e.details) : "",
              ]),
            ),
          );
        });
      }),
  );
}
