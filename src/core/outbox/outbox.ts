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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The sender side of the outbox: delivers rows written by `queueMessage` (./queue.ts). A row is claimed with a
 * lease (one conditional UPDATE: with several instances on one database exactly one sends it), delivered
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
      await datastore.outbox.markFailed(id, token, reason);
      await this.audit(record, "failed");
      logger.error(`outbox: ${record.kind} ${record.id} given up: ${reason}`);
      return;
    }
    try {
      await this.send(JSON.parse(opened) as OutboxItem);
    } catch (error) {
      const reason = errorText(error);
      if (isPermanent(error) || record.attempts >= config.maxAttempts) {
        if (await datastore.outbox.markFailed(id, token, reason)) await this.audit(record, "failed");
        logger.error(`${record.kind} "${record.template}" to ${record.recipient} failed (${record.id}): ${reason}`);
      } else {
        await datastore.outbox.reschedule(id, token, this.nextAttempt(record.attempts), reason);
        logger.warn(`${record.kind} ${record.id}: attempt ${record.attempts} failed, will retry: ${reason}`);
      }
      return;
    }
    if (await datastore.outbox.markSent(id, token, now())) await this.audit(record, "sent");
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
  private async audit(record: OutboxRecord, what: "sent" | "failed"): Promise<void> {
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
