import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { fromPeer, seen } from "../helpers/sources.js";
import type { Reply, TestClient } from "../helpers/client.js";

/**
 * Mail bombing: every endpoint that mails someone on request counts per destination and source
 * (RATE_LIMIT_SENDS_PER_DESTINATION, default 5 per hour, shared by every endpoint), per destination across all
 * sources (that × RATE_LIMIT_SEND_DESTINATION_TOTAL_FACTOR: 20 per hour) and per source IP
 * (RATE_LIMIT_SENDS_PER_SOURCE, default 30 per hour), before it looks the address up — so the answers are the same
 * for addresses with and without an account, and at most the ceiling reaches a victim. Counters live in the
 * database: every dialect.
 */
const PASSWORD = "correct horse battery";
let ipSeq = 0;
/** A client from a fresh source address each time (the attacker rotates IPs), or from `peer`. */
function client(app: TestApp, peer = `203.0.113.${++ipSeq % 250}`): TestClient {
  return fromPeer(app, peer);
}

async function ask(app: TestApp, path: string, json: Record<string, unknown>, peer?: string): Promise<Reply> {
  const c = client(app, peer);
  return c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
}

const mailsTo = (app: TestApp, address: string) =>
  app.sink.messages.filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === address.toLowerCase())).length;

for (const dialect of flowDialects()) {
  describe(`limits on mail sends (${dialect})`, () => {
    let app: TestApp;
    const VICTIM = "Victim.O-Hara+reset@Mail.Sub.Example.test";
    const SHARED = "shared-victim.x@corp.example.test";
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          returnGenericResponses: true,
          registration: { enabled: true },
          recovery: { enabled: true },
          confirmation: { enabled: true, loginWithoutConfirmation: true },
          username: { enable: true },
          usernameFeatures: { recovery: true },
        },
      });
      await app.rampart.api.createUser({ email: VICTIM, password: PASSWORD, confirmed: true });
      await app.rampart.api.createUser({ email: SHARED, password: PASSWORD, username: "sharedvictim" });
    });
    after(() => app.close());

    it("25 × /reset for one victim from 25 IPs in a minute: 20 mails; an unknown address gets the same answers", async () => {
      const known: string[] = [];
      const unknown: string[] = [];
      const ghost = "Nobody.Here+reset@Mail.Sub.Example.test";
      for (let i = 0; i < 25; i++) {
        known.push(seen(await ask(app, "/reset", { email: VICTIM }), VICTIM));
        unknown.push(seen(await ask(app, "/reset", { email: ghost }), ghost));
      }
      assert.deepEqual(known, unknown, "identical answers, request by request");
      assert.equal(known.filter((s) => s.startsWith("200 ")).length, 20);
      assert.equal(known.filter((s) => s.startsWith("429 retry")).length, 5);
      const limited = await ask(app, "/reset", { email: VICTIM.toUpperCase() });
      assert.equal(limited.status, 429, "any spelling of the address is the same destination");
      assert.deepEqual(limited.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      const after = Number(limited.headers.get("retry-after"));
      assert.ok(after > 3000 && after <= 3600, `Retry-After ${after}`);
      await app.runtime.deferred.drain();
      assert.equal(mailsTo(app, VICTIM), 20, "the sink received the ceiling");
      assert.equal(mailsTo(app, ghost), 0);
    });

    it("one budget per destination and source across /reset, /confirm, /recover-username and /register (taken)", async () => {
      const sequence = async (email: string, peer: string) => {
        const out: number[] = [];
        out.push((await ask(app, "/confirm", { email }, peer)).status);
        out.push((await ask(app, "/recover-username", { email }, peer)).status);
        out.push((await ask(app, "/reset", { email }, peer)).status);
        out.push((await ask(app, "/reset", { email }, peer)).status);
        const form = { email, password: PASSWORD, password_confirm: PASSWORD };
        out.push((await ask(app, "/register", form, peer)).status);
        out.push((await ask(app, "/register", form, peer)).status);
        out.push((await ask(app, "/confirm", { email }, peer)).status);
        return out;
      };
      const expected = [200, 200, 200, 200, 200, 429, 429];
      assert.deepEqual(await sequence(SHARED, "198.51.100.31"), expected);
      // A free address: the same answers (its first registration creates it; the second is refused like the taken one).
      assert.deepEqual(await sequence("free.address-1@corp.example.test", "198.51.100.32"), expected);
      await app.runtime.deferred.drain();
      assert.equal(mailsTo(app, SHARED), 5);
    });

    it("one source, 31 addresses: 30 answered, then 429; another source is not affected", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++)
        statuses.push(
          (await ask(app, "/reset", { email: `spray.${i}+x@Other${i}.example.test` }, "198.51.100.200")).status,
        );
      assert.deepEqual(statuses, [...Array<number>(30).fill(200), 429]);
      const elsewhere = await ask(app, "/reset", { email: "spray.0+x@Other0.example.test" }, "198.51.100.201");
      assert.equal(elsewhere.status, 200);
    });

    it("a form post past the limit gets a 429 page", async () => {
      const c = client(app);
      const csrf = await c.csrf();
      const r = await c.post("/reset", { form: { email: VICTIM, csrf_token: csrf } });
      assert.equal(r.status, 429);
      assert.match(r.headers.get("content-type") ?? "", /text\/html/);
      assert.match(r.body, /Too many requests/);
    });
  });
}
