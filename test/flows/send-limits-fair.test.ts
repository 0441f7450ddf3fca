import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TEST_PROXY, seen, viaProxy } from "../helpers/sources.js";
import type { Reply } from "../helpers/client.js";
import { changeEmailFeature } from "../../src/features/change-email/index.js";

/**
 * Requests anyone may make (/reset, /us-signin/send-code, …) count a destination per source
 * (RATE_LIMIT_SENDS_PER_DESTINATION, 5 per hour, for each source: an IPv4 address, an IPv6 /64) and across all
 * sources up to that budget × RATE_LIMIT_SEND_DESTINATION_TOTAL_FACTOR (4: 20 per hour). So one source cannot
 * block the owner's own password reset, and a mailbox still receives at most 20 such mails an hour. The requests
 * arrive through a trusted proxy that names the client in X-Forwarded-For. Counters live in the database: every
 * dialect.
 */
const PASSWORD = "correct horse battery";
const OWNER = "Victim.O-Wner+reset@Mail.Sub.Example.test";
const USERNAME = "VictimOwner42";
const BOMBED = "Bombed.Mail_box-7+x@Corp.Sub.Example.test";
const ANOTHER = "Another.Owner+us@Mail.Sub.Example.test";

async function ask(app: TestApp, client: string, path: string, json: Record<string, unknown>): Promise<Reply> {
  const c = viaProxy(app, client);
  return c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
}

const reset = (app: TestApp, client: string, email: string) => ask(app, client, "/reset", { email });
const usCode = (app: TestApp, client: string, identity: string) =>
  ask(app, client, "/us-signin/send-code", { identity, chosen_method: "email" });

/** Waits for the mail the answered requests queued. */
async function settle(app: TestApp): Promise<void> {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
}

const mailsTo = (app: TestApp, address: string) =>
  app.sink.messages.filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === address.toLowerCase()));

for (const dialect of flowDialects()) {
  describe(`send limits: one source cannot block a destination for everyone (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          trustedProxies: ["10.0.0.0/8"],
          returnGenericResponses: true,
          recovery: { enabled: true },
          username: { enable: true },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          unifiedSignin: { enabled: true },
        } as never,
      });
      await app.rampart.api.createUser({ email: OWNER, password: PASSWORD, username: USERNAME });
      await app.rampart.api.createUser({ email: BOMBED, password: PASSWORD });
      await app.rampart.api.createUser({ email: ANOTHER, password: PASSWORD });
    });
    after(() => app.close());

    it("5 sign-in codes asked by username from one source, then 5 resets from another: each source's 6th is 429; the owner's own /reset from a third is 200 and mails a link", async () => {
      const a = "2001:db8:aa:1::5";
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await usCode(app, a, USERNAME.toLowerCase())).status);
      assert.deepEqual(codes, [200, 200, 200, 200, 200]);
      // The username leads to the owner's mailbox; another address of the same /64 is the same source.
      const sixth = await reset(app, "2001:db8:aa:1::6", OWNER.toUpperCase());
      assert.equal(sixth.status, 429, sixth.body);
      assert.deepEqual(sixth.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      assert.ok(Number(sixth.headers.get("retry-after")) > 3000);

      const c = "198.51.100.23";
      const resets: number[] = [];
      for (let i = 0; i < 6; i++) resets.push((await reset(app, c, OWNER)).status);
      assert.deepEqual(resets, [200, 200, 200, 200, 200, 429]);
      await settle(app);
      const before = mailsTo(app, OWNER).length;
      assert.equal(before, 5, "the anonymous resets that were answered 200 mailed the owner");

      const own = await reset(app, "203.0.113.77", OWNER);
      assert.equal(own.status, 200, own.body);
      await settle(app);
      const mails = mailsTo(app, OWNER);
      assert.equal(mails.length, before + 1, "the owner's reset mail is delivered");
      assert.match(mails.at(-1)!.text, /\/reset\/[\w.-]+/);
    });

    it("4 sources × 5 resets fill the destination's ceiling (20 mails); a 5th source gets 429; an address without an account gets the same answers", async () => {
      const GHOST = "No.Body-Here+x@Corp.Sub.Example.test";
      const run = async (email: string, site: number) => {
        const out: string[] = [];
        for (let s = 0; s < 4; s++)
          for (let i = 0; i < 6; i++) out.push(seen(await reset(app, `192.0.2.${site + s}`, email), email));
        out.push(seen(await reset(app, `2001:db8:${site}::1`, email), email));
        out.push(seen(await reset(app, `192.0.2.${site + 10}`, email.toLowerCase()), email.toLowerCase()));
        return out;
      };
      const known = await run(BOMBED, 100);
      const ghost = await run(GHOST, 150);
      assert.deepEqual(known, ghost, "identical answers, request by request");
      const statuses = known.map((s) => Number(s.slice(0, 3)));
      const share = [200, 200, 200, 200, 200, 429];
      assert.deepEqual(statuses, [...share, ...share, ...share, ...share, 429, 429]);
      assert.ok(known.slice(-2).every((s) => s.startsWith("429 retry")));
      await settle(app);
      assert.equal(mailsTo(app, BOMBED).length, 20, "the mailbox received exactly the ceiling");
      assert.equal(mailsTo(app, GHOST).length, 0);
    });

    it("the same per-source share for an address without an account asked through unified sign-in and /reset", async () => {
      const GHOST = "Other.Ghost-1+us@Mail.Sub.Example.test";
      const run = async (email: string, client: string) => {
        const out: string[] = [];
        for (let i = 0; i < 5; i++) out.push(seen(await usCode(app, client, email), email));
        out.push(seen(await reset(app, client, email), email));
        out.push(seen(await reset(app, "203.0.113.78", email), email));
        return out;
      };
      const known = await run(ANOTHER.toLowerCase(), "198.51.100.41");
      const ghost = await run(GHOST, "198.51.100.42");
      assert.deepEqual(known, ghost, "identical answers, request by request");
      assert.deepEqual(
        known.map((s) => Number(s.slice(0, 3))),
        [200, 200, 200, 200, 200, 429, 200],
      );
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`send limits: a signed-in user's new address and strangers' requests (${dialect})`, () => {
    let app: TestApp;
    const NEW = "New.Address-9+move@Other.Sub.Example.test";
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          trustedProxies: ["10.0.0.0/8"],
          returnGenericResponses: true,
          recovery: { enabled: true },
          changeEmail: { enable: true },
        } as never,
        features: [changeEmailFeature],
      });
      await app.rampart.api.createUser({ email: "Mover.Person+x@Mail.Example.test", password: PASSWORD });
    });
    after(() => app.close());

    it("one stranger's 5 resets for an address do not stop a user moving to it; the ceiling (20) counts the move too", async () => {
      const statuses = async (client: string, n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await reset(app, client, NEW)).status);
        return out;
      };
      assert.deepEqual(await statuses("198.51.100.61", 6), [200, 200, 200, 200, 200, 429]);

      const mover = app.client();
      const login = await mover.login("mover.person+x@mail.example.test", PASSWORD);
      assert.equal(login.status, 200, login.body);
      const csrf = { "x-csrf-token": login.json.response.csrf_token as string };
      const move = await mover.post("/change-email", { json: { email: NEW }, headers: csrf });
      assert.equal(move.status, 200, move.body);

      // 5 + 1 counted so far: three more sources reach the ceiling at 20.
      assert.deepEqual(await statuses("198.51.100.62", 5), [200, 200, 200, 200, 200]);
      assert.deepEqual(await statuses("198.51.100.63", 5), [200, 200, 200, 200, 200]);
      assert.deepEqual(await statuses("2001:db8:64::1", 5), [200, 200, 200, 200, 429]);
      const again = await mover.post("/change-email", { json: { email: NEW.toLowerCase() }, headers: csrf });
      assert.equal(again.status, 429, again.body);
      assert.deepEqual(again.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
    });
  });
}
