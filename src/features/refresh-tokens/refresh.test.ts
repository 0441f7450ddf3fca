import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { mobileClient, mobileConfig, newUser, reasonOf } from "./testing/kit.js";

/** A mobile app (no cookies at all) with refresh tokens in JSON: rotation, theft detection, concurrency, expiry. */
for (const dialect of flowDialects()) {
  describe(`refresh tokens for a cookieless client (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: mobileConfig });
    });
    after(() => app.close());

    it("signs in, uses the access token, refreshes: a new generation, the old one is now reuse", async () => {
      const m = mobileClient(app);
      const email = await newUser(app);
      const first = await m.signIn(email);
      assert.equal(await m.use(first.access), 200);

      const r = await m.refresh(first.refresh);
      assert.equal(r.status, 200, r.body);
      const user = r.json.response.user;
      assert.equal(user.email.toLowerCase(), email.toLowerCase());
      assert.ok(user.authentication_token && user.refresh_token);
      // The answer says when the new access token expires (its signed exp), so the client knows when to refresh.
      const exp = JSON.parse(Buffer.from(user.authentication_token.split(".")[0], "base64url").toString("utf8")).exp;
      assert.equal(user.authentication_token_expires_at, new Date(exp * 1000).toISOString());
      assert.notEqual(user.refresh_token, first.refresh);
      assert.equal(r.json.response.csrf_token, undefined);
      assert.equal(r.headers.getSetCookie().length, 0, "JSON mode sets no cookie");
      assert.equal(await m.use(user.authentication_token), 200);

      const second = await m.refresh(user.refresh_token);
      assert.equal(second.status, 200, second.body);
    });

    it("theft: an older generation replayed revokes the family once; the legitimate client is told REVOKED and its access token stops", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Theft.Victim");
      const stolen = await m.signIn(email);
      const legit = (await m.refresh(stolen.refresh)).json.response.user;

      assert.equal(reasonOf(await m.refresh(stolen.refresh)), "GEN_MISMATCH");
      assert.equal(reasonOf(await m.refresh(stolen.refresh)), "GEN_MISMATCH");
      assert.equal(reasonOf(await m.refresh(legit.refresh_token)), "REVOKED");
      assert.equal(await m.use(legit.authentication_token), 401);
      assert.equal(await m.use(stolen.access), 401);

      const user = (await app.rampart.api.findUser(email))!;
      const rows = await app.rampart.api.auditEvents({ event: "refresh_token_reuse" });
      assert.equal(rows.filter((row) => row.userId === user.id).length, 1, "audited once");
      // A new sign-in starts a new family.
      const again = await m.signIn(email);
      assert.equal((await m.refresh(again.refresh)).status, 200);
    });

    it("20 parallel uses of one refresh token: exactly one success, the rest GEN_MISMATCH, and the family ends", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Parallel");
      const tokens = await m.signIn(email);
      const replies = await Promise.all(Array.from({ length: 20 }, () => m.refresh(tokens.refresh)));
      const wins = replies.filter((r) => r.status === 200);
      assert.equal(wins.length, 1, replies.map((r) => r.status).join(","));
      for (const r of replies.filter((x) => x.status !== 200)) assert.equal(reasonOf(r), "GEN_MISMATCH");
      const winner = wins[0]!.json.response.user;
      assert.equal(reasonOf(await m.refresh(winner.refresh_token)), "REVOKED");
      assert.equal(await m.use(winner.authentication_token), 401);
      const user = (await app.rampart.api.findUser(email))!;
      const rows = await app.rampart.api.auditEvents({ event: "refresh_token_reuse" });
      assert.equal(rows.filter((row) => row.userId === user.id).length, 1, "revoked and audited once");
    });

    it("junk, forged and cross-purpose tokens are INVALID; missing is a field error; non-JSON and non-string are 400", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Junk");
      const tokens = await m.signIn(email);
      const csrf = (await m.send("GET", "/login", { acceptJson: true })).json.response.csrf_token as string;
      const forged = tokens.refresh.slice(0, -3) + (tokens.refresh.endsWith("AAA") ? "BBB" : "AAA");
      for (const junk of ["abc", "x".repeat(5000), forged, tokens.access, csrf, "a.b.c", "🙂"])
        assert.equal(reasonOf(await m.refresh(junk)), "INVALID", junk.slice(0, 40));
      // None of that touched the family.
      assert.equal((await m.refresh(tokens.refresh)).status, 200);

      const missing = await m.refresh(undefined);
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.json.response.error_codes, ["REFRESH_TOKEN_NOT_PROVIDED"]);
      const wrongType = await m.refresh(12345);
      assert.equal(wrongType.status, 400, wrongType.body);
      const form = await m.send("POST", "/refresh-token", { form: { refresh_token: tokens.refresh } });
      assert.equal(form.status, 400, form.body);
      const bad = await m.send("POST", "/refresh-token", {
        rawBody: "{not json",
        headers: { "content-type": "application/json" },
      });
      assert.equal(bad.status, 400, bad.body);
    });

    it("a refresh token is not an access token", async () => {
      const m = mobileClient(app);
      const tokens = await m.signIn(await newUser(app, "Cross"));
      assert.equal(await m.use(tokens.refresh), 401);
    });

    it("expiry: idle beyond REFRESH_TOKEN_MAX_IDLE and past REFRESH_TOKEN_MAX_AGE answer EXPIRED", async () => {
      const m = mobileClient(app);
      const idle = await m.signIn(await newUser(app, "Idle"));
      app.advance(7 * 24 * 3600 + 60);
      assert.equal(reasonOf(await m.refresh(idle.refresh)), "EXPIRED");

      let tokens = await m.signIn(await newUser(app, "Absolute"));
      // Used every 6 days: never idle, but the family ends 90 days after sign-in.
      for (let day = 6; day < 90; day += 6) {
        app.advance(6 * 24 * 3600);
        const r = await m.refresh(tokens.refresh);
        assert.equal(r.status, 200, `day ${day}: ${r.body}`);
        tokens = { access: r.json.response.user.authentication_token, refresh: r.json.response.user.refresh_token };
      }
      app.advance(7 * 24 * 3600);
      assert.equal(reasonOf(await m.refresh(tokens.refresh)), "EXPIRED");
    });

    it("the access token a refresh mints never outlives the family", async () => {
      const m = mobileClient(app);
      const tokens = await m.signIn(await newUser(app, "Bound"));
      const r = await m.refresh(tokens.refresh);
      const access = r.json.response.user.authentication_token as string;
      assert.equal(await m.use(access), 200);
      app.advance(16 * 60);
      assert.equal(await m.use(access), 401, "the access token's own 15 minutes");
    });

    it("logout with the access token (and the refresh token in the body) revokes the family", async () => {
      const m = mobileClient(app);
      const tokens = await m.signIn(await newUser(app, "Logout"));
      const out = await m.send("POST", "/logout", {
        json: { refresh_token: tokens.refresh },
        headers: { "authentication-token": tokens.access },
      });
      assert.equal(out.status, 200, out.body);
      assert.equal(reasonOf(await m.refresh(tokens.refresh)), "REVOKED");
      assert.equal(await m.use(tokens.access), 401);

      // The access token alone names its family too.
      const other = await m.signIn(await newUser(app, "Logout.Header"));
      const out2 = await m.send("POST", "/logout", { headers: { "authentication-token": other.access }, json: {} });
      assert.equal(out2.status, 200, out2.body);
      assert.equal(reasonOf(await m.refresh(other.refresh)), "REVOKED");
    });
  });
}
