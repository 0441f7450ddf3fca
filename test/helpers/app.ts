import { createRampart, type Rampart, type RampartOptions } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { createIsolatedDatastore } from "./databases.js";
import { TestClient } from "./client.js";
import { start as startSmtpSink, type SmtpSink } from "./smtp-sink.js";
import { demoApp } from "../../src/server/demo-app.js";
import { runtimeOf } from "../../src/internal.js";
import type { Runtime } from "../../src/core/runtime.js";

/**
 * A Rampart instance for tests: real database (isolated per instance), cheap hashing parameters (the real
 * defaults are covered by the hashing tests), a movable clock, and quiet logs.
 */
export interface TestApp {
  rampart: Rampart;
  /** The instance's internals (config, datastore, services, deferred work…), which `Rampart` does not expose. */
  runtime: Runtime;
  /** The loopback SMTP server receiving this app's mail (when created with `mail: true`). */
  sink: SmtpSink;
  client(): TestClient;
  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export const TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef";

export async function createTestApp(
  options: {
    dialect?: "sqlite" | "postgres" | "mysql";
    config?: RampartConfigInput;
    mail?: boolean;
    /** Runs on the empty isolated database before the migrations (to build an existing database's tables). */
    prepareDatabase?: (url: string) => Promise<void>;
  } & Omit<Partial<RampartOptions>, "config" | "database"> = {},
): Promise<TestApp> {
  const { datastore, cleanup } = await createIsolatedDatastore(options.dialect ?? "sqlite", options.prepareDatabase);
  let offsetMs = 0;
  const logs: string[] = [];
  const { config, dialect: _d, mail, prepareDatabase: _p, ...rest } = options;
  const sink = mail ? await startSmtpSink() : null;
  const rampart = await createRampart({
    database: datastore,
    clock: () => new Date(Date.now() + offsetMs),
    logger: {
      info: (m) => logs.push(m),
      warn: (m) => logs.push(m),
      error: (m, e) => {
        logs.push(`${m} ${String(e)}`);
        if (process.env.RAMPART_TEST_LOG_ERRORS) console.error("APPERR", m, e);
      },
    },
    ...rest,
    config: {
      secretKey: TEST_SECRET,
      baseUrl: "https://app.test",
      // No clock-skew checks: tests move this app's clock on purpose (the clock tests turn them on).
      clock: { checkIntervalSeconds: 0 },
      ...(sink
        ? { mail: { server: "127.0.0.1", port: sink.port, timeoutMs: 5000, ...(config?.mail as object | undefined) } }
        : {}),
      ...config,
      ...(sink && config?.mail
        ? { mail: { server: "127.0.0.1", port: sink.port, timeoutMs: 5000, ...(config.mail as object) } }
        : {}),
      password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, ...config?.password },
    },
  });
  const runtime = runtimeOf(rampart);
  const app = demoApp(rampart);
  // Mail and SMS go out after the answer (the outbox): the client waits for what a request queued, so a test can
  // read the sink right after it. Work deferred by generic answers is not waited for (runtime.deferred.drain()).
  const fetcher = async (request: Request) => {
    const response = await app(request);
    await runtime.outbox.drain();
    return response;
  };
  return {
    rampart,
    runtime,
    get sink(): SmtpSink {
      if (!sink) throw new Error("createTestApp({ mail: true }) starts the SMTP sink");
      return sink;
    },
    client: () => new TestClient(fetcher),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async close() {
      await rampart.close().catch(() => undefined);
      await sink?.close();
      await cleanup();
    },
  };
}

/** Dialects to run flow tests on: SQLite always; PostgreSQL and MariaDB when their URLs are configured. */
export function flowDialects(): ("sqlite" | "postgres" | "mysql")[] {
  const out: ("sqlite" | "postgres" | "mysql")[] = ["sqlite"];
  if (process.env.RAMPART_TEST_POSTGRES_URL) out.push("postgres");
  else if (process.env.CI) throw new Error("CI run without RAMPART_TEST_POSTGRES_URL: PostgreSQL tests must run in CI");
  if (process.env.RAMPART_TEST_MYSQL_URL) out.push("mysql");
  else if (process.env.CI) throw new Error("CI run without RAMPART_TEST_MYSQL_URL: MariaDB tests must run in CI");
  return out;
}
