/**
 * A steady trickle of ordinary requests for fault tests (login, an authenticated GET as JSON and as a browser,
 * registration), recording what each client saw: status, time to answer, Retry-After, and the body's shape.
 */
import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Reply, TestClient } from "./client.js";

export interface Answer {
  what: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string;
  body: string;
}

export type Step = (n: number) => Promise<Reply>;

/** Runs each step in its own loop until `during` resolves; returns every answer seen meanwhile. */
export async function underLoad(steps: Record<string, Step>, during: () => Promise<void>): Promise<Answer[]> {
  const answers: Answer[] = [];
  let running = true;
  let n = 0;
  const loop = async (what: string, step: Step) => {
    while (running) {
      const started = performance.now();
      const r = await step(n++);
      answers.push({
        what,
        status: r.status,
        ms: performance.now() - started,
        retryAfter: r.headers.get("retry-after"),
        contentType: r.headers.get("content-type") ?? "",
        body: r.body,
      });
      // Yield so the fault can be switched while the loops run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const loops = Object.entries(steps).map(([what, step]) => loop(what, step));
  try {
    await during();
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return answers;
}

/**
 * Every answer is a success or a 503 with Retry-After in the contract's error shape (JSON envelope for API
 * callers, a page for browsers), never a 500 — and each came within `boundMs`.
 */
export function assertFailedFast(answers: Answer[], boundMs: number, label: string): void {
  assert.ok(answers.length > 0, `${label}: some requests ran`);
  for (const a of answers) {
    const seen = `${label}: ${a.what} → ${a.status} in ${Math.round(a.ms)} ms: ${a.body.slice(0, 200)}`;
    assert.ok(a.status < 500 || a.status === 503, seen);
    assert.ok(a.ms < boundMs, `${seen} (bound ${boundMs} ms)`);
    if (a.status !== 503) continue;
    assert.ok(Number(a.retryAfter) > 0, `${seen}: Retry-After`);
    if (a.contentType.includes("json")) {
      const body = JSON.parse(a.body) as { meta: { code: number }; response: { error_codes: string[] } };
      assert.equal(body.meta.code, 503, seen);
      assert.deepEqual(body.response.error_codes, ["SERVICE_BUSY"], seen);
    } else {
      assert.match(a.contentType, /text\/html/, seen);
      assert.match(a.body, /try again/i, seen);
    }
  }
  assert.ok(
    answers.some((a) => a.status === 503),
    `${label}: the fault was felt (some 503), else the test proves nothing`,
  );
}

/** Polls `probe` until it is true; returns how long that took after `since`, failing past `deadlineMs`. */
export async function healedWithin(probe: () => Promise<boolean>, deadlineMs: number, label: string): Promise<number> {
  const since = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - since;
    const elapsed = performance.now() - since;
    assert.ok(elapsed < deadlineMs, `${label}: not healed ${Math.round(elapsed)} ms after the dependency returned`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The status of a TestClient call, for probes. */
export async function statusOf(reply: Promise<Reply>): Promise<number> {
  return (await reply).status;
}

export type { TestClient };

/** Another client takes an exclusive lock on the user table (every sign-in and session check waits for it). */
export async function lockUserTable(dialect: "postgres" | "mysql", url: string): Promise<{ release(): Promise<void> }> {
  if (dialect === "postgres") {
    const schema = new URL(url).searchParams.get("schema")!;
    const c = new pg.Client({ connectionString: url.replace(/\?.*$/, "") });
    await c.connect();
    await c.query("begin");
    await c.query(`lock table "${schema}"."user" in access exclusive mode`);
    return { release: async () => (await c.query("rollback"), await c.end()) };
  }
  const c = await mysql.createConnection({ uri: url });
  await c.query("lock tables `user` write");
  return { release: async () => (await c.query("unlock tables"), await c.end()) };
}
