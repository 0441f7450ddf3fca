import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromiumAvailable } from "../helpers/browser.js";
import { openPasskeyBrowser, PASSWORD, type PasskeyBrowser, type PasskeyPage } from "../helpers/passkey-browser.js";
import { addPasskeyOnPage, whoAmI, stored, AUTOFILL_LOAD } from "../helpers/passkey-flows.js";

const available = chromiumAvailable();

/**
 * What an attacker can do with a real browser's passkey answers, refused by the server (SQLite; the flows run on
 * every database in passkeys.test.ts): an answer made on another origin, a replayed answer, a cloned
 * authenticator, another user's passkey at /wan-verify, and one answer posted 20 times at once.
 */
describe("passkeys in Chromium: what the server refuses", { skip: !available && "chromium not installed" }, () => {
  let pb: PasskeyBrowser;
  before(async () => {
    // Many refused attempts on a few accounts from one address: no lockout or rate limit may end a test early.
    pb = await openPasskeyBrowser({
      config: {
        lockout: { threshold: 100 },
        rateLimit: { sourceAttempts: 10_000, sourceFailures: 10_000 },
        freshness: { withinSeconds: 600, gracePeriodSeconds: 0 },
      },
    });
  });
  after(async () => {
    await pb?.close();
  });

  /** A new user with a first-factor passkey made on the register page; signed out at the end. */
  async function userWithPasskey(email: string): Promise<PasskeyPage> {
    await pb.app.rampart.api.createUser({ email, password: PASSWORD });
    const p = await pb.open();
    await p.signInWithPassword(email);
    await addPasskeyOnPage(p, "Phone", "first");
    await p.context.clearCookies();
    return p;
  }

  /** Loads /wan-signin on `origin` and holds back the credential its autofill ceremony posts. */
  async function capturedSignin(p: PasskeyPage, origin = pb.base) {
    const held = p.interceptPost("/wan-signin/");
    await p.page.goto(`${origin}/wan-signin`, AUTOFILL_LOAD);
    return held;
  }

  const codes = (json: any): string[] => json?.response?.error_codes ?? [];

  it("an answer the browser made on another origin (same RP ID host, other port) is refused", async () => {
    const email = "Wrong.Origin+x@Sub.Example.test";
    const p = await userWithPasskey(email);
    const other = await pb.otherOrigin();
    const post = await capturedSignin(p, other);
    assert.match(post.body, /credential=/, "the browser did run the ceremony there");
    const r = await p.repost(post, { freshCsrf: true });
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.deepEqual(codes(r.json), ["WEBAUTHN_NO_VERIFY"]);
    assert.equal(await whoAmI(p), null);

    // The same user and key from the configured origin get in: it was the origin.
    const good = await p.repost(await capturedSignin(p), { freshCsrf: true });
    assert.equal(good.status, 200, JSON.stringify(good.json));
    assert.equal(await whoAmI(p), stored(email));
    assert.deepEqual(p.problems, []);
    await p.close();
  });

  it("a replayed answer is refused: at its own state (used) and at a new state (another challenge)", async () => {
    const email = "Re.Play+x@Sub.Example.test";
    const p = await userWithPasskey(email);
    const sent = p.watchPost("/wan-signin/");
    await p.page.goto(`${pb.base}/wan-signin`, AUTOFILL_LOAD);
    const post = await sent;
    await p.page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
    assert.equal(await whoAmI(p), stored(email), "the first use signed in");
    await p.context.clearCookies();

    const again = await p.repost(post, { freshCsrf: true });
    assert.equal(again.status, 400, JSON.stringify(again.json));
    assert.equal(await whoAmI(p), null);

    // The same answer at a fresh state: its signature is over the old challenge.
    const start = await p.context.request.post(`${pb.base}/wan-signin`, {
      headers: { accept: "application/json", "x-csrf-token": await p.csrfToken(), origin: pb.base },
      data: {},
    });
    const state = ((await start.json()) as any).response.wan_state as string;
    const moved = await p.repost({ ...post, url: `${pb.base}/wan-signin/${state}` }, { freshCsrf: true });
    assert.equal(moved.status, 400, JSON.stringify(moved.json));
    assert.deepEqual(codes(moved.json), ["WEBAUTHN_NO_VERIFY"]);
    assert.equal(await whoAmI(p), null);
    await p.close();
  });

  it("a cloned authenticator (its copy's counter behind the server's) is refused; the original still works", async () => {
    const email = "Cloned.Key+x@Sub.Example.test";
    const p = await userWithPasskey(email);
    const [copy] = await p.credentials();
    const clone = await pb.open();
    await p.copyTo(clone, copy!);
    // The original is used: the server's counter moves past the copy's.
    await p.page.goto(`${pb.base}/wan-signin`, AUTOFILL_LOAD);
    await p.page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
    assert.equal(await whoAmI(p), stored(email));

    const r = await clone.repost(await capturedSignin(clone), { freshCsrf: true });
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.deepEqual(codes(r.json), ["WEBAUTHN_NO_VERIFY"]);
    assert.equal(await whoAmI(clone), null);
    const user = (await pb.app.rampart.datastore.users.findByEmail(stored(email)))!;
    const audited = await pb.app.runtime.datastore.audit.list({ userId: user.id, event: "wan_counter_regression" });
    assert.equal(audited.length, 1, "the regression is audited");

    await p.context.clearCookies();
    await p.page.goto(`${pb.base}/wan-signin`, AUTOFILL_LOAD);
    await p.page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
    assert.equal(await whoAmI(p), stored(email), "the original key keeps working");
    await p.close();
    await clone.close();
  });

  it("Alice's passkey at Bob's /wan-verify is refused and Bob stays not fresh", async () => {
    const alice = await userWithPasskey("Alice.Verify+x@Sub.Example.test");
    const bobEmail = "Bob.Verify+x@Sub.Example.test";
    const bob = await userWithPasskey(bobEmail);
    await bob.signInWithPassword(bobEmail);
    pb.app.advance(601);
    const json = { accept: "application/json", origin: pb.base };
    const stale = await bob.context.request.get(`${pb.base}/wan-register`, { headers: json });
    assert.equal(stale.status(), 401, "Bob's sign-in is no longer fresh");

    const start = await bob.context.request.post(`${pb.base}/wan-verify`, {
      headers: { ...json, "x-csrf-token": await bob.csrfToken() },
      data: {},
    });
    assert.equal(start.status(), 200);
    const { credential_options: options, wan_state: state } = ((await start.json()) as any).response;
    // Alice's authenticator answers Bob's challenge (the options' allow list dropped so her key may answer).
    await alice.page.goto(`${pb.base}/login`);
    const answer = await alice.raw("get", { ...options, allowCredentials: [] });
    const r = await bob.context.request.post(`${pb.base}/wan-verify/${state}`, {
      headers: { ...json, "x-csrf-token": await bob.csrfToken() },
      data: { credential: JSON.stringify(answer) },
    });
    assert.equal(r.status(), 400);
    assert.deepEqual(codes(await r.json()), ["WEBAUTHN_MISMATCH_USER_HANDLE"]);
    const still = await bob.context.request.get(`${pb.base}/wan-register`, { headers: json });
    assert.equal(still.status(), 401, "freshness unchanged");
    await alice.close();
    await bob.close();
  });

  it("one answer posted 20 times at once signs in exactly once", async () => {
    const email = "Twenty.Times+x@Sub.Example.test";
    const p = await userWithPasskey(email);
    const post = await capturedSignin(p);
    const csrf = await p.csrfToken();
    const body = new URLSearchParams(post.body);
    body.set("csrf_token", csrf);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        p.context.request.post(post.url, {
          headers: { "content-type": post.contentType, accept: "application/json", origin: pb.base },
          data: body.toString(),
          maxRedirects: 0,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status());
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
    assert.ok(
      statuses.every((s) => s === 200 || s === 400),
      statuses.join(","),
    );
    await p.close();
  });
});
