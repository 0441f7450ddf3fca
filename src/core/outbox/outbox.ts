import type { AuditEventRecord, Datastore, OutboxRecord } from "../../datastore/contracts.js";
import type { PayloadBox } from "../../crypto/payload-box.js";
import type { MailMessage, MailTransport } from "../../mail/types.js";
import type { SmsSender } from "../../sms/types.js";
import type { Logger } from "../runtime.js";
import type { OutboxConfig } from "./config.js";

/** What a row carries, sealed: a rendered mail, or an SMS text. */
export type OutboxItem =
  { kind: "mail"; template: string; message: MailMessage } | { kind: "sms"; purpose: string; to: string; body: string };

export interface OutboxDeps {
  datastore: Datastore;
  config: OutboxConfig;
  logger: Logger;
  now: () => Date;
  box: PayloadBox;
  mailTransport: MailTransport;
  /** Built on first use (an app without SMS never configures a sender). */
  smsSender: () => SmsSender;
}

/** How many due rows one poll takes, and how many it sends at once. */
const BATCH = 50;
const PARALLEL = 4;
/** Finished rows are swept at most this often (per instance). */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** A refusal that will not change on a retry: an SMTP 5xx, an SMS gateway 4xx, or a recipient Rampart refuses. */
function isPermanent(error: unknown): boolean {
  const e = error as { message?: unknown; cause?: { responseCode?: unknown; status?: unknown } } | null;
  if (typeof e?.message === "string" && e.message.startsWith("refused to send")) return true;
  const code = e?.cause?.responseCode;
  if (typeof code === "number" && code >= 500 && code < 600) return true;
  const status = e?.cause?.status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Mails that carry a code or a link that expires, asked for by a user who can ask again (every SMS is a code).
 * When it is not known whether such a message went out (its sender stopped between the send and recording it),
 * it is not sent again: see `settleUnsettled`.
 */
const EXPIRING_TEMPLATES = new Set([
  "two_factor_instructions",
  "us_instructions",
  "reset_instructions",
  "confirmation_instructions",
  "change_email_instructions",
]);

/** Whether a message of this kind and template is sent at most once when its delivery is in doubt. */
export function sentAtMostOnce(kind: string, template: string): boolean {
  return kind === "sms" || EXPIRING_TEMPLATES.has(template);
}

/** Waits before the in-process retries of recording an outcome (then the next poll tries again). */
const RECORD_RETRY_MS = [100, 400, 1600];

/** What happened to a claimed message, to be written to its row. */
type Outcome =
  | { status: "sent"; at: Date }
  | { status: "pending"; nextAttemptAt: Date; reason: string }
  | { status: "failed"; reason: string };

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The sender side of the outbox: delivers rows written by `queueMessage` (./queue.ts). A row is claimed with a
 * lease and marked `sending` (one conditional UPDATE, committed before the send: with several instances on one
 * database exactly one sends it), delivered
 * through the configured transport, then marked sent (its sealed body deleted), retried later with exponential
 * backoff and jitter, or given up after `maxAttempts` (or at once on a permanent refusal) and audited.
 *
 * Right after a request the rows it wrote are sent (`kick`); a periodic poll picks up retries that fell due and
 * rows a stopped instance left behind. `drain()` waits for the sends started so far (tests, `close()`).
 */
export class Outbox {
  private readonly inFlight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling: Promise<number> | null = null;
  private lastSweep = 0;
  private stopped = false;
  /** Outcomes this process knows but could not write yet (the database was away): written first at each poll. */
  private readonly unrecorded = new Map<string, { record: OutboxRecord; token: string; outcome: Outcome }>();

  constructor(private readonly deps: OutboxDeps) {}

  /** The sealed form of `item` for row `id` (AES-256-GCM, bound to the row). */
  seal(item: OutboxItem, id: string): string {
    return this.deps.box.seal(JSON.stringify(item), id);
  }

  /** Starts the periodic poll (none when pollIntervalSeconds is 0); a first poll runs at once. */
  start(): void {
    if (this.stopped || this.timer || this.deps.config.pollIntervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.poll(), this.deps.config.pollIntervalSeconds * 1000);
    this.timer.unref();
    void this.poll();
  }

  /** Stops polling and kicking; waits for the sends under way. Rows not yet sent stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drain();
    // Outcomes not written yet get one more try; if the database is still away, the rows settle by their lease.
    await this.writeUnrecorded().catch((error: unknown) => {
      this.deps.logger.warn(`outbox: ${this.unrecorded.size} outcome(s) not recorded at stop: ${errorText(error)}`);
    });
  }

  /** Sends row `id` after the current turn (the answer goes out first); `drain()` waits for it. */
  kick(id: string): void {
    if (this.stopped) return;
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.deliver(id))
      .catch((error: unknown) => this.deps.logger.error(`outbox: sending ${id} failed`, error))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Resolves once every kicked send and the poll under way have finished (not retries scheduled for later). */
  async drain(): Promise<void> {
    while (this.inFlight.size || this.polling) await Promise.all([...this.inFlight, this.polling]);
  }

  /** Sends every due row (retries, rows left by a stopped instance); returns how many were attempted. */
  poll(): Promise<number> {
    if (this.polling) return this.polling;
    const run = this.pollOnce()
      .catch((error: unknown) => {
        this.deps.logger.warn(`outbox poll failed: ${errorText(error)}`);
        return 0;
      })
      .finally(() => {
        this.polling = null;
      });
    this.polling = run;
    return run;
  }

  private async pollOnce(): Promise<number> {
    const { datastore, config, now } = this.deps;
    if (now().getTime() - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now().getTime();
      await datastore.outbox.deleteFinishedBefore(new Date(now().getTime() - config.retentionDays * 86_400_000));
    }
    await this.writeUnrecorded();
    await this.settleUnsettled();
    let attempted = 0;
    for (;;) {
      const ids = await datastore.outbox.due(now(), BATCH);
      if (!ids.length || this.stopped) return attempted;
      for (let i = 0; i < ids.length; i += PARALLEL) {
        await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.deliver(id)));
      }
      attempted += ids.length;
      if (ids.length < BATCH) return attempted;
    }
  }

  /** Claims row `id` if it is due and free, sends it and records the outcome. */
  async deliver(id: string): Promise<void> {
    if (this.stopped) return;
    const { datastore, config, now, box, logger } = this.deps;
    const at = now();
    const claim = await datastore.outbox.claim(id, at, new Date(at.getTime() + config.leaseSeconds * 1000));
    if (!claim) return;
    const { record, token } = claim;
    const opened = record.payload === null ? null : box.open(record.payload, record.id);
    if (opened === null) {
      const reason = "the sealed message cannot be opened (was SECRET_KEY changed without a fallback?)";
      await this.recordOutcome(record, token, { status: "failed", reason });
      return;
    }
    try {
      await this.send(JSON.parse(opened) as OutboxItem);
    } catch (error) {
      const reason = errorText(error);
      const giveUp = isPermanent(error) || record.attempts >= config.maxAttempts;
      await this.recordOutcome(
        record,
        token,
        giveUp
          ? { status: "failed", reason }
          : { status: "pending", nextAttemptAt: this.nextAttempt(record.attempts), reason },
      );
      return;
    }
    await this.recordOutcome(record, token, { status: "sent", at: now() });
  }

  /**
   * Writes what happened to a claimed message. The transport has been called, so the outcome must not be lost:
   * a failed write is retried a few times here, then kept in memory and written first at this process's next
   * poll (long before the lease runs out, so no other instance takes the message for one in doubt).
   */
  private async recordOutcome(record: OutboxRecord, token: string, outcome: Outcome): Promise<void> {
    const { logger } = this.deps;
    if (outcome.status === "failed") {
      logger.error(
        `${record.kind} "${record.template}" to ${record.recipient} failed (${record.id}): ${outcome.reason}`,
      );
    } else if (outcome.status === "pending") {
      logger.warn(`${record.kind} ${record.id}: attempt ${record.attempts} failed, will retry: ${outcome.reason}`);
    }
    for (let retry = 0; ; retry++) {
      try {
        await this.writeOutcome(record, token, outcome);
        return;
      } catch (error) {
        if (retry >= RECORD_RETRY_MS.length) {
          this.unrecorded.set(record.id, { record, token, outcome });
          logger.warn(
            `outbox: ${record.id} is ${outcome.status}; recording it failed, kept for the next poll: ${errorText(error)}`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS[retry]));
      }
    }
  }

  /** One write of an outcome (throws when the database fails); audited when it landed. */
  private async writeOutcome(record: OutboxRecord, token: string, outcome: Outcome): Promise<void> {
    const { outbox } = this.deps.datastore;
    const written =
      outcome.status === "sent"
        ? await outbox.markSent(record.id, token, outcome.at)
        : outcome.status === "pending"
          ? await outbox.reschedule(record.id, token, outcome.nextAttemptAt, outcome.reason)
          : await outbox.markFailed(record.id, token, outcome.reason);
    this.unrecorded.delete(record.id);
    if (!written) {
      this.deps.logger.warn(
        `outbox: ${record.id} was settled by another sender before it was recorded ${outcome.status}`,
      );
      return;
    }
    if (outcome.status !== "pending") await this.audit(record, outcome.status);
  }

  /** Writes the outcomes kept from earlier polls (stops at the first failure: the database is still away). */
  private async writeUnrecorded(): Promise<void> {
    for (const { record, token, outcome } of [...this.unrecorded.values()]) {
      await this.writeOutcome(record, token, outcome);
    }
  }

  /**
   * Rows left `sending` past their lease: their sender stopped after it handed the message to the transport, or
   * just before, and never recorded what happened. A code or link (see `sentAtMostOnce`) is not sent again: it is
   * marked `unknown` and audited (`mail_unknown` / `sms_unknown`); the user, who is waiting for it, asks again.
   * Anything else (welcome mails, notices nobody can ask for again) is sent again: a duplicate rather than a loss.
   */
  private async settleUnsettled(): Promise<void> {
    const { datastore, now, logger } = this.deps;
    for (const record of await datastore.outbox.unsettled(now(), BATCH)) {
      if (this.unrecorded.has(record.id)) continue;
      const once = sentAtMostOnce(record.kind, record.template);
      const note = once
        ? "its sender stopped while sending it: delivery unknown, not sent again"
        : "its sender stopped while sending it: sent again (may arrive twice)";
      if (!(await datastore.outbox.settle(record.id, now(), once ? "unknown" : "pending", note))) continue;
      logger.warn(`${record.kind} "${record.template}" to ${record.recipient} (${record.id}): ${note}`);
      if (once) await this.audit(record, "unknown");
    }
  }

  private send(item: OutboxItem): Promise<void> {
    return item.kind === "mail"
      ? this.deps.mailTransport.send(item.message)
      : this.deps.smsSender().send(item.to, item.body);
  }

  /** Exponential backoff from retryBaseSeconds, capped at retryMaxSeconds, minus up to 20 % jitter. */
  private nextAttempt(attempts: number): Date {
    const { retryBaseSeconds, retryMaxSeconds } = this.deps.config;
    const seconds = Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
    return new Date(this.deps.now().getTime() + seconds * 1000 * (1 - Math.random() * 0.2));
  }

  /** The reason stays on the row (`rampart outbox list`), not in the audit log. */
  private async audit(record: OutboxRecord, what: "sent" | "failed" | "unknown"): Promise<void> {
    const entry: Omit<AuditEventRecord, "id"> = {
      at: this.deps.now(),
      event: `${record.kind}_${what}`,
      outcome: what === "sent" ? "success" : "failure",
      userId: record.userId,
      identity: record.recipient.slice(0, 255),
      ip: null,
      userAgent: null,
      details: {
        [record.kind === "mail" ? "template" : "purpose"]: record.template,
        outbox: record.id,
      },
    };
    await this.deps.datastore.audit.append(entry).catch((error: unknown) => {
      this.deps.logger.warn(`outbox: audit of ${record.id} failed: ${errorText(error)}`);
    });
  }
}
