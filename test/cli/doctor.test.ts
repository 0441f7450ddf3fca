/**
 * `rampart doctor` as an operator runs it: the real executable, a clean environment, real dependencies (a migrated
 * SQLite file, a loopback SMTP server, a private Redis, a running `rampart serve`). Exit 0 / 3 / 4 by severity.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPrivateRedis } from "../helpers/private-redis.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";
import { clockFinding } from "../../src/cli/doctor/live-checks.js";
import { openDatastore } from "../../src/datastore/open.js";
import { cliOk, runCli, startServe, tempDir, TEST_SECRET_KEY } from "./helpers.js";

/** A production-like configuration with nothing to fix (hashing at OWASP's minimum, links from a fixed base). */
const SOUND = {
  SECRET_KEY: TEST_SECRET_KEY,
  RAMPART_BASE_URL: "https://app.example.com",
  RAMPART_ARGON2_MEMORY_COST: "19456",
  RAMPART_ARGON2_TIME_COST: "2",
  // Query-string tokens stay on by default for FS clients; a sound deployment turns them off.
  RAMPART_TOKEN_QUERY_STRING: "false",
};

interface Finding {
  severity: string;
  id: string;
}

async function doctor(args: string[], env: Record<string, string>) {
  const r = await runCli(["doctor", "--json", "--timeout", "2000", ...args], env);
  let findings: Finding[] = [];
  try {
    findings = JSON.parse(r.stdout) as Finding[];
  } catch {
    assert.fail(`doctor printed no JSON (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { code: r.code, ids: findings.map((f) => `${f.severity}:${f.id}`).sort(), findings };
}

describe("rampart doctor: the configuration", () => {
  it("a sound production configuration: exit 0, only notes", async () => {
    const r = await runCli(["doctor", "--offline"], SOUND);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const json = await doctor(["--offline"], SOUND);
    assert.deepEqual(
      json.findings.filter((f) => f.severity !== "info"),
      [],
    );
  });

  it("what weakens a deployment is an error (exit 4), each named", async () => {
    const r = await doctor(["--offline", "--instances", "3"], {
      ...SOUND,
      SESSION_COOKIE_SECURE: "false",
      SECURITY_TOKEN_MAX_AGE: String(30 * 24 * 3600),
      RATE_LIMIT_STORE: "memory",
      WTF_CSRF_ENABLED: "false",
    });
    assert.equal(r.code, 4);
    for (const id of ["cookie-not-secure", "token-lifetime", "memory-rate-limits", "csrf-disabled"])
      assert.ok(r.ids.includes(`error:${id}`), `${id} in ${r.ids.join(", ")}`);
  });

  it("headers and CORS that weaken the browser side are warnings", async () => {
    const r = await doctor(["--offline"], {
      ...SOUND,
      RAMPART_HSTS: "false",
      CORS_ALLOWED_ORIGINS: "http://spa.example.com",
    });
    assert.equal(r.code, 3);
    for (const id of ["hsts-off", "cors-plain-http-origin"])
      assert.ok(r.ids.includes(`warning:${id}`), r.ids.join(", "));
  });

  it("query-string tokens on is a warning naming why; Bearer off is a note", async () => {
    const { RAMPART_TOKEN_QUERY_STRING: _on, ...queryOn } = SOUND;
    const r = await doctor(["--offline"], { ...queryOn, RAMPART_TOKEN_BEARER: "false" });
    assert.equal(r.code, 3);
    assert.deepEqual(
      r.ids.filter((id) => id.includes("token")),
      ["info:token-bearer-off", "warning:token-query-string"],
    );
    const finding = r.findings.find((f) => f.id === "token-query-string") as Finding & { message: string };
    assert.match(finding.message, /logs.*Referer.*history/);
  });

  it("only warnings: exit 3", async () => {
    const { RAMPART_BASE_URL: _unset, ...noBase } = SOUND;
    const r = await doctor(["--offline"], { ...noBase, SECURITY_TOKEN_MAX_AGE: String(2 * 24 * 3600) });
    assert.equal(r.code, 3);
    assert.deepEqual(
      r.ids.filter((id) => !id.startsWith("info:")),
      ["warning:host-derived-links", "warning:token-lifetime"],
    );
  });

  it("memory counters with sessions in Redis (several instances likely) are a warning, one instance none", async () => {
    const one = await doctor(["--offline"], { ...SOUND, RATE_LIMIT_STORE: "memory" });
    assert.ok(!one.ids.some((id) => id.endsWith(":memory-rate-limits")));
    const shared = await doctor(["--offline"], {
      ...SOUND,
      RATE_LIMIT_STORE: "memory",
      REDIS_URL: "redis://127.0.0.1:1",
    });
    assert.ok(shared.ids.includes("warning:memory-rate-limits"));
  });

  it("an invalid configuration is reported key by key, exit 4 (not a stack trace)", async () => {
    const r = await doctor(["--offline"], { ...SOUND, SESSION_COOKIE_SAMESITE: "Sometimes" });
    assert.equal(r.code, 4);
    assert.deepEqual(
      r.findings.map((f) => [f.id, (f as Finding & { subject: string }).subject]),
      [["invalid-config", "SESSION_COOKIE_SAMESITE (session.cookieSameSite)"]],
    );
    const weakKey = await doctor(["--offline"], { ...SOUND, SECRET_KEY: "short" });
    assert.deepEqual(weakKey.ids, ["error:invalid-config"]);
  });
});

describe("rampart doctor: the live deployment", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let env: Record<string, string>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    sink = await startSmtpSink();
    env = {
      ...SOUND,
      DATABASE_URL: `sqlite://${join(dir, "app.db")}`,
      MAIL_SERVER: "127.0.0.1",
      MAIL_PORT: String(sink.port),
    };
  });
  after(async () => {
    await sink.close();
    await cleanup();
  });

  it("an unmigrated database is an error; once migrated, and with SMTP answering, nothing to fix", async () => {
    const before = await doctor([], env);
    assert.ok(before.ids.includes("error:migrations-pending"), before.ids.join(", "));
    await cliOk(["migrate"], env);
    const afterMigrate = await doctor([], env);
    assert.equal(afterMigrate.code, 0, afterMigrate.ids.join(", "));
  });

  it("an SMTP server that does not answer is an error", async () => {
    const r = await doctor([], { ...env, MAIL_PORT: "1" });
    assert.ok(r.ids.includes("error:smtp-unreachable"), r.ids.join(", "));
  });

  it("a Redis that keeps nothing over a restart is a warning; with AOF on, none", async () => {
    const redis = await startPrivateRedis();
    after(() => redis.close());
    const r = await doctor([], { ...env, REDIS_URL: redis.url });
    assert.ok(r.ids.includes("warning:redis-not-persistent"), r.ids.join(", "));
    const { Redis } = await import("ioredis");
    const client = new Redis(redis.url);
    await client.config("SET", "appendonly", "yes");
    client.disconnect();
    const fixed = await doctor([], { ...env, REDIS_URL: redis.url });
    assert.ok(!fixed.ids.some((id) => id.includes("redis")), fixed.ids.join(", "));
    const gone = await doctor([], { ...env, REDIS_URL: "redis://127.0.0.1:1" });
    assert.ok(gone.ids.includes("error:redis-unreachable"), gone.ids.join(", "));
  });

  it("--url: what a browser gets from the running server (plain http is a warning)", async () => {
    const server = await startServe(env);
    after(() => server.stop());
    const r = await doctor(["--url", server.url], env);
    assert.ok(r.ids.includes("warning:plain-http"), r.ids.join(", "));
    assert.ok(!r.ids.includes("error:cors-any-origin"), "Rampart does not allow a foreign origin");
    const down = await doctor(["--url", "http://127.0.0.1:1"], env);
    assert.ok(down.ids.includes("error:url-unreachable"));
  });
});

describe("rampart doctor: this machine's clock against the database's", () => {
  it("a clock 90 s ahead of the database's is a warning naming the skew; within the threshold, none", async () => {
    const datastore = await openDatastore("sqlite::memory:", { migrate: true });
    after(() => datastore.close());
    const fast = await clockFinding(datastore, 10, 2000, () => Date.now() + 90_000);
    assert.equal(fast?.id, "clock-skew");
    assert.match(fast?.message ?? "", /9\d\.\d s ahead of the database's/);
    const slow = await clockFinding(datastore, 10, 2000, () => Date.now() - 30_000);
    assert.match(slow?.message ?? "", /behind the database's/);
    assert.equal(await clockFinding(datastore, 10, 2000, () => Date.now() + 3_000), null);
  });
});
