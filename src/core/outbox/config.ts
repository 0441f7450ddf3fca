import { z } from "zod";
import type { ConfigIssue } from "../errors.js";
import { key } from "../config/declare.js";
import { defineSlice } from "../config/slice.js";

/**
 * The outbox (Rampart's own; Flask-Security sends mail inline): every mail and SMS is written to the database
 * first and sent after the answer, retried with exponential backoff, at most maxAttempts times.
 */
const schema = z.strictObject({
  maxAttempts: key(z.number().int().min(1).max(100).default(8), {
    env: "RAMPART_OUTBOX_MAX_ATTEMPTS",
    doc: "Delivery attempts of one mail or SMS before it is given up (status failed, audited as mail_failed / sms_failed); a permanent refusal (SMTP 5xx, SMS gateway 4xx) gives up at once",
  }),
  retryBaseSeconds: key(z.number().int().positive().default(30), {
    env: "RAMPART_OUTBOX_RETRY_BASE",
    doc: "Wait before the first retry, in seconds; each further retry waits twice as long (with up to 20 % random jitter)",
  }),
  retryMaxSeconds: key(z.number().int().positive().default(3600), {
    env: "RAMPART_OUTBOX_RETRY_MAX",
    doc: "Longest wait between two attempts, in seconds",
  }),
  pollIntervalSeconds: key(z.number().int().min(0).default(10), {
    env: "RAMPART_OUTBOX_POLL_INTERVAL",
    doc: "How often each instance looks for due retries and for messages a stopped instance left unsent, in seconds (0: never; messages are still sent right after each request)",
  }),
  leaseSeconds: key(z.number().int().min(5).default(120), {
    env: "RAMPART_OUTBOX_LEASE",
    doc: "How long a sender holds a message it is delivering before another instance may take it over (longer than a delivery can take: see mail.timeoutMs)",
  }),
  idempotencyWindowSeconds: key(z.number().int().min(0).max(86_400).default(300), {
    env: "RAMPART_OUTBOX_IDEMPOTENCY_WINDOW",
    doc: "How long a request's Idempotency-Key header makes a repeat of it (same key, same caller, same route) take the place of the message it queued instead of adding one, in seconds (0: the header is ignored)",
  }),
  retentionDays: key(z.number().int().positive().default(30), {
    env: "RAMPART_OUTBOX_RETENTION_DAYS",
    doc: "Sent and failed messages' rows (metadata only once sent) are deleted this many days after they were queued",
  }),
});

export type OutboxConfig = z.output<typeof schema>;

export const outboxSlice = defineSlice({
  key: "outbox",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (value.retryMaxSeconds < value.retryBaseSeconds) {
      issues.push({ key: "outbox.retryMaxSeconds", message: "must be at least outbox.retryBaseSeconds" });
    }
    // An SMTP delivery may use its timeout three times over (connect, greeting, data): the lease must outlast it,
    // or a second instance would take over a message that is still being sent.
    const mailTimeoutMs = (config.mail as { timeoutMs?: number } | undefined)?.timeoutMs ?? 0;
    if (value.leaseSeconds * 1000 <= 3 * mailTimeoutMs) {
      issues.push({ key: "outbox.leaseSeconds", message: "must be longer than three times mail.timeoutMs" });
    }
    return issues;
  },
});

declare module "../config/slice.js" {
  interface RampartConfigSlices {
    outbox: typeof outboxSlice;
  }
}
