import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient, type Reply } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";
import { unifiedSigninStore } from "../../src/features/unified-signin/store.js";

/**
 * The per-destination send limit (RATE_LIMIT_SENDS_PER_DESTINATION, 5 per hour from one source) counts the real mailbox or phone,
 * however the request names it: any case or compatibility spelling of the address, the account's username, or
 * (for SMS) whichever identity leads to the phone. An identity that names no account counts under its canonical
 * spelling, so the answers for an address with an account and one without stay the same.
 */
const PASSWORD = "correct horse battery";
const KNOWN = "Some.One+x@Sub.Example.ORG";
const GHOST = "No.Body-1+x@Sub.Example.ORG";
const USERNAME = "SomeOne42";
const PHONE = "+16505550143";

/** The same address in full-width letters (Unicode compatibility forms NFKD folds back to ASCII). */
const fullWidth = (s: string) =>
  [...s].map((ch) => (/[A-Za-z]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join("");

/**
 * The source every request of the current test comes from: each destination's budget counts per source (and,
 * 4 times larger, across sources), so the spellings below must come from one source to share one count.
 */
let peer = "203.0.113.1";

async function ask(app: TestApp, path: string, json: Record<string, unknown>): Promise<Reply> {
  const from = peer;
  const c = new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, from)));
  return c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
}

const reset = (app: TestApp, email: string) => ask(app, "/reset", { email });
const usCode = (app: TestApp, identity: string, method = "email") =>
  ask(app, "/us-signin/send-code", { identity, chosen_method: method });

/** The statuses of `n` requests made one after another. */
async function statuses(n: number, request: () => Promise<Reply>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await request()).status);
  return out;
}

for (const dialect of flowDialects()) {
  describe(`send limits count the real destination (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          returnGenericResponses: true,
          recovery: { enabled: true },
          username: { enable: true },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          unifiedSignin: { enabled: true },
        } as never,
      });
      const user = await app.rampart.api.createUser({ email: KNOWN, password: PASSWORD, username: USERNAME });
      // The account's unified sign-in phone (what /us-setup stores after a verified SMS code).
      const stored = await app.runtime.datastore
        .store(unifiedSigninStore)
        .replaceMethods(user.id, { secrets: null, phone: null }, { secrets: null, phone: PHONE });
      assert.equal(stored, true);
    });
    after(() => app.close());

    it("5 × /reset, then the address in upper case, the username, or full-width through unified sign-in: 429", async () => {
      peer = "203.0.113.11";
      const first = await statuses(5, () => reset(app, KNOWN));
      assert.deepEqual(first, [200, 200, 200, 200, 200]);
      const upper = await reset(app, KNOWN.toUpperCase());
      assert.equal(upper.status, 429, "the same mailbox in upper case");
      assert.deepEqual(upper.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      assert.ok(Number(upper.headers.get("retry-after")) > 0);
      assert.equal((await usCode(app, USERNAME)).status, 429, "the account's username leads to the same mailbox");
      assert.equal((await usCode(app, USERNAME.toUpperCase())).status, 429);
      assert.equal((await usCode(app, fullWidth(KNOWN))).status, 429, "a full-width spelling of the address");
      assert.equal((await usCode(app, ` ${KNOWN.toLowerCase()} `)).status, 429);
    });

    it("an address with no account gets the same answers for the same spellings", async () => {
      peer = "203.0.113.12";
      const first = await statuses(5, () => reset(app, GHOST));
      assert.deepEqual(first, [200, 200, 200, 200, 200]);
      assert.equal((await reset(app, GHOST.toUpperCase())).status, 429);
      assert.equal((await usCode(app, fullWidth(GHOST))).status, 429);
      assert.equal((await usCode(app, ` ${GHOST.toLowerCase()} `)).status, 429);
    });

    it("SMS: five codes asked by address, the sixth asked by username is 429 (one budget per phone)", async () => {
      peer = "2001:db8:5e:1::13";
      const first = await statuses(5, () => usCode(app, KNOWN.toLowerCase(), "sms"));
      assert.deepEqual(first, [200, 200, 200, 200, 200]);
      const byName = await usCode(app, USERNAME, "sms");
      assert.equal(byName.status, 429, "the username names the same phone");
      assert.deepEqual(byName.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      // An address with no account and no phone: the same answers, by its canonical spelling.
      const ghost = await statuses(6, () => usCode(app, GHOST, "sms"));
      assert.deepEqual(ghost, [200, 200, 200, 200, 200, 429]);
      assert.equal((await usCode(app, fullWidth(GHOST), "sms")).status, 429);
    });
  });
}
