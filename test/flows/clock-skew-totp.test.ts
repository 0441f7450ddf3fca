import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { oathtool, oathtoolSkip } from "../helpers/totp-clock.js";
import { twoFactorFeature } from "../../src/features/two-factor/index.js";
import { PASSWORD, validate } from "../../src/features/two-factor/testing/kit.js";

/**
 * An instance whose clock runs 90 s fast measures its skew against the database (at start, then every
 * RAMPART_CLOCK_CHECK_INTERVAL), logs it, and then judges authenticator codes on the database's time: a code
 * an authenticator app shows at real time (computed here by the `oathtool` CLI) is accepted.
 */
const SKEW_MS = 90_000;

/** The code an authenticator shows for `secret` at real time, `shiftSeconds` later. */
function realTimeCode(secret: string, shiftSeconds = 0): string {
  return oathtool(secret, Math.floor(Date.now() / 1000) + shiftSeconds);
}

/** Waits while real time is in the last seconds of a 30 s step (so a code computed now is still current). */
async function awayFromStepEnd(): Promise<void> {
  const intoStep = (Date.now() / 1000) % 30;
  if (intoStep > 26) await new Promise((resolve) => setTimeout(resolve, (30 - intoStep + 0.2) * 1000));
}

async function fastApp(dialect: "sqlite" | "postgres" | "mysql", offset: { ms: number }, interval: number) {
  const logs: string[] = [];
  const app = await createTestApp({
    dialect,
    clock: () => new Date(Date.now() + offset.ms),
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    config: {
      totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      twoFactor: { enabled: true },
      clock: { checkIntervalSeconds: interval },
    } as never,
    features: [twoFactorFeature],
  });
  return { app, logs };
}

/** Signs `email` in and enrols an authenticator with the code of the previous step (real time); returns the secret. */
async function enrol(app: TestApp, email: string): Promise<string> {
  await app.rampart.api.createUser({ email, password: PASSWORD });
  await awayFromStepEnd();
  const c = app.client();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  const csrf = login.json.response.csrf_token as string;
  const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
  assert.equal(s.status, 200, s.body);
  const secret = s.json.response.tf_authr_key as string;
  // The previous step's code (accepted within the ±1 step window), so the next sign-in's current code is newer.
  const done = await c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
    json: { code: realTimeCode(secret, -30) },
    headers: { "x-csrf-token": csrf },
  });
  assert.equal(done.status, 200, done.body);
  return secret;
}

async function signInWithRealTimeCode(c: TestClient, email: string, secret: string) {
  await awayFromStepEnd();
  const login = await c.login(email, PASSWORD);
  assert.equal(login.status, 200, login.body);
  assert.equal(login.json.response.tf_required, true, login.body);
  return validate(c, login.json.response.csrf_token as string, realTimeCode(secret));
}

for (const dialect of flowDialects()) {
  describe(`an instance 90 s fast (${dialect})`, { timeout: 120_000, skip: oathtoolSkip }, () => {
    const apps: TestApp[] = [];
    after(() => Promise.all(apps.map((a) => a.close())));

    it("measured at start: logs the skew, reports it, and accepts a real-time authenticator code", async () => {
      const { app, logs } = await fastApp(dialect, { ms: SKEW_MS }, 300);
      apps.push(app);
      const reading = await app.rampart.api.clockSkew();
      assert.ok(reading, "a reading from the start");
      assert.ok(Math.abs(reading.skewMs - SKEW_MS) < 2_000, `skew ${reading.skewMs} ms`);
      assert.equal(reading.exceeded, true);
      assert.ok(
        logs.some((l) => /clock skew: .*9\d\.\d s ahead of the database/.test(l)),
        `a warning naming the skew in: ${logs.join(" | ")}`,
      );
      const email = `Fast.Instance-start+${dialect}@Sub.Example.test`;
      const secret = await enrol(app, email);
      const c = app.client();
      const r = await signInWithRealTimeCode(c, email, secret);
      assert.equal(r.status, 200, r.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "signed in");
    });

    it("measured periodically: a clock that jumps 90 s ahead is caught and codes keep working", async () => {
      const offset = { ms: 0 };
      const { app, logs } = await fastApp(dialect, offset, 1);
      apps.push(app);
      assert.equal((await app.rampart.api.clockSkew())?.exceeded, false, "in step at start");
      const email = `fast.instance-jump.${dialect}@example.test`;
      const secret = await enrol(app, email);
      offset.ms = SKEW_MS;
      const deadline = Date.now() + 5_000;
      while (!(await app.rampart.api.clockSkew())?.exceeded && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await app.rampart.api.clockSkew())?.exceeded, true, "the periodic check saw the jump");
      assert.ok(
        logs.some((l) => l.startsWith("clock skew: ")),
        logs.join(" | "),
      );
      const r = await signInWithRealTimeCode(app.client(), email, secret);
      assert.equal(r.status, 200, r.body);
    });
  });
}
