import { AsyncLocalStorage } from "node:async_hooks";
import type { UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "./audit.js";
import type { RequestContext } from "./context.js";
import type { Logger } from "./runtime.js";

/**
 * Work that runs after the answer: whatever an anonymous endpoint does only for a real account (building and
 * mailing a link, texting a code, the app's events and after-hooks) must not delay the answer, or its timing
 * tells which addresses have accounts. A task starts once the handler has returned (next turn of the event
 * loop), never rejects into the void: a failure is logged and audited (`deferred_failed`, with the task's
 * label) — mail failures are already audited as `mail_failed` by deliverMail. `drain()` waits for every task
 * started so far (tests; `close()` runs it before the datastore and mailer go away).
 */
const afterAnswer = new AsyncLocalStorage<true>();

/** True inside a deferred task: the answer has gone out, so waiting here delays nobody. */
export function runningAfterAnswer(): boolean {
  return afterAnswer.getStore() === true;
}

export class DeferredWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  defer(ctx: RequestContext, label: string, user: UserRecord | null, task: () => Promise<unknown>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => afterAnswer.run(true, task))
      .then(
        () => undefined,
        async (error: unknown) => {
          this.logger.error(`deferred "${label}" failed: ${(error as Error)?.message ?? String(error)}`, error);
          await recordAudit(ctx, {
            event: "deferred_failed",
            outcome: "failure",
            user,
            details: { task: label },
          }).catch(() => undefined);
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves once every task started so far (and any they started) has finished. */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}

/**
 * Runs `task` after the answer when `later` (generic responses: the answer must look the same for every
 * address), else now, awaited (specific responses already tell whether the account exists).
 */
export async function nowOrAfterAnswer(
  ctx: RequestContext,
  later: boolean,
  label: string,
  user: UserRecord | null,
  task: () => Promise<unknown>,
): Promise<void> {
  if (later) ctx.rt.deferred.defer(ctx, label, user, task);
  else await task();
}
