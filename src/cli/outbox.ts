/** `rampart outbox list | retry`: the mail and SMS waiting, sent or given up (never their bodies). */
import { Command, Option } from "commander";
import type { OutboxStatus } from "../datastore/contracts.js";
import { withRampart } from "./context.js";
import { CliError, EXIT_USAGE } from "./errors.js";
import { print, table } from "./output.js";
import { positiveInt } from "./users.js";

export function outboxCommand(): Command {
  return new Command("outbox")
    .description("Mail and SMS queued by Rampart (the outbox).")
    .addCommand(
      new Command("list")
        .description("Print queued, sent and failed messages (newest first); bodies are never shown.")
        .addOption(
          new Option("--status <status>", "only this status").choices([
            "pending",
            "sending",
            "sent",
            "failed",
            "unknown",
          ]),
        )
        .option("--limit <n>", "how many (default 50)", (v) => positiveInt("--limit", v), 50)
        .action(async (opts: { status?: OutboxStatus; limit: number }) => {
          await withRampart(async ({ datastore }) => {
            const rows = await datastore.outbox.list({
              limit: opts.limit,
              ...(opts.status ? { status: opts.status } : {}),
            });
            if (rows.length === 0) {
              print("No messages.");
              return;
            }
            print(
              table(
                ["id", "queued", "kind", "template", "to", "status", "attempts", "next attempt", "last error"],
                rows.map((r) => [
                  r.id,
                  r.createdAt.toISOString(),
                  r.kind,
                  r.template,
                  r.recipient,
                  r.status,
                  String(r.attempts),
                  r.status === "pending" ? r.nextAttemptAt.toISOString() : "",
                  (r.lastError ?? "").slice(0, 120),
                ]),
              ),
            );
          });
        }),
    )
    .addCommand(
      new Command("retry")
        .description("Send a failed, unknown (or waiting) message again now: its attempts start over.")
        .argument("<id>", "the message id (from `rampart outbox list`)")
        .action(async (id: string) => {
          await withRampart(async ({ datastore }) => {
            if (!(await datastore.outbox.retry(id, new Date()))) {
              const row = await datastore.outbox.findById(id);
              throw new CliError(
                row
                  ? `message ${id} is ${row.status}${row.payload === null ? " and its body is gone" : ""}: nothing to retry`
                  : `no message ${id} in the outbox`,
                EXIT_USAGE,
              );
            }
            print(`Message ${id} queued again; the server sends it at its next outbox poll.`);
          });
        }),
    );
}
