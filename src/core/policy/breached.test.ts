import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { resolveConfig, type RampartConfigInput } from "../config/index.js";
import type { Logger } from "../runtime.js";
import { FakeBreachedApi, type RunningBreachedApi } from "../../../test/helpers/breached-api.js";
import { BreachedApiError, breachCount, parseRangeResponse, sha1Parts } from "./breached.js";
import { checkNewPassword } from "./password.js";

const BREACHED = "Tr0ub4dor&3-hunter2";
const SEEN_ONCE = "only-seen-once-2011";

function rtWith(password: RampartConfigInput["password"]) {
  const warnings: string[] = [];
  const logger: Logger = { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };
  return { rt: { config: resolveConfig({ secretKey: "x".repeat(40), password }), logger }, warnings };
}

describe("password policy: breached (k-anonymity range API on loopback)", () => {
  let api: RunningBreachedApi;
  before(async () => {
    api = await new FakeBreachedApi([
      { password: BREACHED, count: 52_256 },
      { password: SEEN_ONCE, count: 1 },
    ]).start();
  });
  after(() => api.close());

  const conf = (extra: RampartConfigInput["password"] = {}) =>
    rtWith({ checkBreached: "strict", breachedApiBaseUrl: api.url, breachedTimeoutMs: 1000, ...extra });

  it("refuses a breached password and accepts one that is not", async () => {
    api.mode = "ok";
    const { rt } = conf();
    assert.deepEqual(await checkNewPassword(rt, BREACHED, {}), [{ code: "PASSWORD_BREACHED" }]);
    assert.deepEqual(await checkNewPassword(rt, "never seen anywhere 8c1f2e", {}), []);
  });

  it("honours breachedCount as a threshold", async () => {
    api.mode = "ok";
    assert.deepEqual(await checkNewPassword(conf().rt, SEEN_ONCE, {}), [{ code: "PASSWORD_BREACHED" }]);
    assert.deepEqual(await checkNewPassword(conf({ breachedCount: 2 }).rt, SEEN_ONCE, {}), []);
    assert.deepEqual(await checkNewPassword(conf({ breachedCount: 52_256 }).rt, BREACHED, {}), [
      { code: "PASSWORD_BREACHED" },
    ]);
    assert.deepEqual(await checkNewPassword(conf({ breachedCount: 52_257 }).rt, BREACHED, {}), []);
  });

  it("sends only the 5-character SHA-1 prefix, with Add-Padding", async () => {
    api.mode = "ok";
    const before = api.requests.length;
    await checkNewPassword(conf().rt, BREACHED, {});
    const sent = api.requests.slice(before);
    const full = createHash("sha1").update(BREACHED).digest("hex").toUpperCase();
    assert.deepEqual(sent, [full.slice(0, 5)]);
    assert.match(sent[0]!, /^[0-9A-F]{5}$/);
    assert.equal(api.headers.at(-1)?.["add-padding"], "true");
    assert.ok(!JSON.stringify(api.headers.at(-1)).includes(full.slice(5)));
  });

  it("hashes the normalized password", async () => {
    api.mode = "ok";
    const composed = "caf\u00e9-breached-2019";
    const local = await new FakeBreachedApi([{ password: composed.normalize("NFKD"), count: 3 }]).start();
    try {
      const { rt } = rtWith({ checkBreached: "strict", breachedApiBaseUrl: local.url });
      assert.deepEqual(await checkNewPassword(rt, composed, {}), [{ code: "PASSWORD_BREACHED" }]);
      assert.deepEqual(await checkNewPassword(rt, "cafe\u0301-breached-2019", {}), [{ code: "PASSWORD_BREACHED" }]);
    } finally {
      await local.close();
    }
  });

  for (const mode of ["500", "garbage", "hang"] as const) {
    it(`API ${mode}: strict refuses with PASSWORD_BREACHED_SITE_ERROR, best-effort passes with a warning`, async () => {
      api.mode = mode;
      try {
        const strict = conf({ breachedTimeoutMs: 150 });
        const t0 = performance.now();
        assert.deepEqual(await checkNewPassword(strict.rt, BREACHED, {}), [{ code: "PASSWORD_BREACHED_SITE_ERROR" }]);
        assert.ok(performance.now() - t0 < 2000);

        const lax = conf({ checkBreached: "best-effort", breachedTimeoutMs: 150 });
        assert.deepEqual(await checkNewPassword(lax.rt, BREACHED, {}), []);
        assert.equal(lax.warnings.length, 1);
        assert.match(lax.warnings[0]!, /breached-password check skipped/);
        const full = sha1Parts(BREACHED);
        for (const w of [...lax.warnings, ...strict.warnings]) {
          assert.ok(!w.includes(BREACHED) && !w.includes(full.suffix) && !w.includes(full.prefix), w);
        }
      } finally {
        api.mode = "ok";
      }
    });
  }

  it("an unreachable API counts as a failure", async () => {
    const gone = await new FakeBreachedApi().start();
    await gone.close();
    const strict = rtWith({ checkBreached: "strict", breachedApiBaseUrl: gone.url });
    assert.deepEqual(await checkNewPassword(strict.rt, BREACHED, {}), [{ code: "PASSWORD_BREACHED_SITE_ERROR" }]);
    await assert.rejects(breachCount("x", { baseUrl: gone.url, timeoutMs: 500 }), BreachedApiError);
  });

  it("parses range bodies: padding ignored, malformed refused", () => {
    const { suffix } = sha1Parts("x");
    const counts = parseRangeResponse(`${suffix}:7\r\n${"0".repeat(35)}:0\r\n`);
    assert.equal(counts.get(suffix), 7);
    assert.equal(counts.size, 1);
    assert.throws(() => parseRangeResponse("<html>"), BreachedApiError);
    assert.throws(() => parseRangeResponse(""), BreachedApiError);
  });

  it("is skipped entirely when checkBreached is off", async () => {
    const before = api.requests.length;
    const { rt } = rtWith({ breachedApiBaseUrl: api.url });
    assert.deepEqual(await checkNewPassword(rt, BREACHED, {}), []);
    assert.equal(api.requests.length, before);
  });
});
