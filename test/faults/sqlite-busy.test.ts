/**
 * SQLite locked by another process's write transaction past the busy timeout: a request that must write gets
 * 503 with Retry-After (never a 500) within about the busy timeout, and succeeds once the lock is gone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { demoApp } from "../../src/server/demo-app.js";
import { TEST_SECRET } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { assertFailedFast, healedWithin, underLoad } from "../helpers/fault-load.js";

const PASSWORD = "correct horse battery";
const EMAIL = "lite.user-1+busy@Example.test";

describe("SQLite busy past the busy timeout", () => {
  const dir = mkdtempSync(join(tmpdir(), `rampart-test-${Date.now().toString(36)}-`));
  const file = join(dir, "busy.db");
  let rampart: Rampart;
  const client = () => new TestClient(demoApp(rampart));

  before(async () => {
    rampart = await createRampart({
      database: `sqlite://${file}`,
      migrations: "auto",
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      config: {
        secretKey: TEST_SECRET,
        baseUrl: "https://app.test",
        password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
        database: { sqliteBusyTimeoutMs: 200 },
      },
    });
    await rampart.api.createUser({ email: EMAIL, password: PASSWORD });
  });
  after(async () => {
    await rampart?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sign-ins (a session write) answer 503 + Retry-After while another process holds the write lock", async () => {
    const other = new Database(file);
    other.exec("begin immediate");
    let answers;
    try {
      answers = await underLoad(
        {
          "login json": () => client().login(EMAIL.toUpperCase(), PASSWORD),
          "login form": async () => {
            const c = client();
            const page = await c.get("/login");
            const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
            return c.post("/login", { form: { email: EMAIL, password: PASSWORD, csrf_token: csrf } });
          },
        },
        () => new Promise((resolve) => setTimeout(resolve, 800)),
      );
    } finally {
      other.exec("rollback");
      other.close();
    }
    assertFailedFast(answers, 1500, "SQLite busy");
    await healedWithin(async () => (await client().login(EMAIL, PASSWORD)).status === 200, 1000, "lock released");
  });
});
