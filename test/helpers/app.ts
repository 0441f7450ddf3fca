import { createRampart, type Rampart, type RampartOptions } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { createIsolatedDatastore } from "./databases.js";
import { TestClient } from "./client.js";
import { demoApp } from "../../src/server/demo-app.js";

/**
 * A Rampart instance for tests: real database (isolated per instance), cheap hashing parameters (the real
 * defaults are covered by the hashing tests), a movable clock, and quiet logs.
 */
export interface TestApp {
  rampart: Rampart;
  client(): TestClient;
  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export const TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef";

export async function createTestApp(
  options: { dialect?: "sqlite" | "postgres" | "mysql"; config?: RampartConfigInput } & Omit<Partial<RampartOptions>, "config" | "database"> = {},
): Promise<TestApp> {
  const { datastore, cleanup } = await createIsolatedDatastore(options.dialect ?? "sqlite");
  let offsetMs = 0;
  const logs: string[] = [];
  const { config, dialect: _d, ...rest } = options;
  const rampart = await createRampart({
    database: datastore,
    clock: () => new Date(Date.now() + offsetMs),
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m, e) => logs.push(`${m} ${String(e)}`) },
    ...rest,
    config: {
      secretKey: TEST_SECRET,
      ...config,
      password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, ...config?.password },
    },
  });
  return {
    rampart,
    client: () => new TestClient(demoApp(rampart)),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async close() {
      await rampart.close().catch(() => undefined);
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
