import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Rampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { flowDialects } from "../helpers/app.js";
import { PASSWORD, apiClient, newUser, opaquePayload, refreshReason, servedInstances } from "../helpers/api-client.js";

/**
 * An API client as a mobile app is: no cookie jar at all (Node's fetch keeps none), real HTTP, the default
 * configuration except refresh tokens on in JSON mode — no CSRF settings. Each step of its life (sign in, call a
 * guarded route and Rampart's endpoints with Bearer, refresh, theft detection, sign out, /token) must work
 * without a CSRF token or a cookie.
 */
const mobileConfig: RampartConfigInput = { refreshTokens: { enabled: true, cookieName: null } };

for (const dialect of flowDialects()) {
  describe(`a cookieless API client, default configuration (${dialect})`, { timeout: 120_000 }, () => {
    const servers = servedInstances(dialect);
    let rampart: Rampart;
    let mobile: ReturnType<typeof apiClient>;
    before(async () => {
      const served = await servers.start(mobileConfig);
      rampart = served.rampart;
      mobile = apiClient(served.base);
    });
    after(() => servers.close());

    it("signs in, uses Bearer on a guarded route and on Rampart's endpoints, refreshes — no CSRF token, no cookie", async () => {
      const email = await newUser(rampart, "Mobile.Life");
      const first = await mobile.signIn(email);

      const hello = await mobile.call("GET", "/api/protected", { bearer: first.access });
      assert.equal(hello.status, 200, hello.body);
      assert.equal(hello.json.response.via, "token");
      const sessions = await mobile.call("GET", "/sessions", { bearer: first.access });
      assert.equal(sessions.status, 200, sessions.body);
      const listed = sessions.json.response.sessions as { kind: string; current: boolean }[];
      const current = listed.filter((s) => s.current);
      assert.deepEqual(
        current.map((s) => s.kind),
        ["refresh_token"],
        "the app's refresh family is the current entry",
      );
      // An unsafe Rampart endpoint with Bearer: re-authentication by password.
      const verify = await mobile.call("POST", "/verify", { bearer: first.access, json: { password: PASSWORD } });
      assert.equal(verify.status, 200, verify.body);

      const r = await mobile.refresh(first.refresh, first.access);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers.getSetCookie().length, 0, "JSON mode sets no cookie");
      const next = r.json.response.user;
      assert.notEqual(next.refresh_token, first.refresh);
      assert.equal(await mobile.protectedStatus(next.authentication_token), 200);
    });

    it("theft: a replayed older refresh token revokes the family; the app is told REVOKED and its Bearer token gets 401", async () => {
      const email = await newUser(rampart, "Mobile.Theft");
      const stolen = await mobile.signIn(email);
      const legit = (await mobile.refresh(stolen.refresh, stolen.access)).json.response.user;
      assert.equal(await mobile.protectedStatus(legit.authentication_token), 200);

      // The attacker (another cookieless client) replays the copy it took before the app refreshed.
      assert.equal(refreshReason(await mobile.refresh(stolen.refresh)), "GEN_MISMATCH");
      assert.equal(
        refreshReason(await mobile.refresh(legit.refresh_token, legit.authentication_token)),
        "REVOKED",
        "the legitimate app is told why it must sign in again",
      );
      const refused = await mobile.call("GET", "/api/protected", { bearer: legit.authentication_token });
      assert.equal(refused.status, 401, refused.body);
      assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
      assert.equal(refused.json.meta.code, 401, "the contract's JSON error body");
      const user = (await rampart.api.findUser(email))!;
      const rows = await rampart.api.auditEvents({ event: "refresh_token_reuse" });
      assert.equal(rows.filter((row) => row.userId === user.id).length, 1, "audited once");
    });

    it("signs out with Bearer and its refresh token: the family ends and the access token is refused at once", async () => {
      const email = await newUser(rampart, "Mobile.Logout");
      const signedIn = await mobile.signIn(email);
      const t = (await mobile.refresh(signedIn.refresh, signedIn.access)).json.response.user;
      const out = await mobile.call("POST", "/logout", {
        bearer: t.authentication_token,
        json: { refresh_token: t.refresh_token },
      });
      assert.equal(out.status, 200, out.body);
      assert.equal(await mobile.protectedStatus(t.authentication_token), 401);
      assert.equal(await mobile.protectedStatus(signedIn.access), 401, "the family's older access token too");
      assert.equal(refreshReason(await mobile.refresh(t.refresh_token)), "REVOKED");
    });

    it("20 parallel uses of one refresh token by Bearer clients: one 200, nineteen GEN_MISMATCH, one audit row", async () => {
      const email = await newUser(rampart, "Mobile.Burst");
      const t = await mobile.signIn(email);
      const started = performance.now();
      const replies = await Promise.all(Array.from({ length: 20 }, () => mobile.refresh(t.refresh, t.access)));
      const ms = Math.round(performance.now() - started);
      const statuses = replies.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
      const losers = replies.filter((r) => r.status !== 200);
      assert.equal(losers.length, 19);
      for (const r of losers) assert.equal(refreshReason(r), "GEN_MISMATCH");
      const winner = replies.find((r) => r.status === 200)!.json.response.user;
      assert.equal(refreshReason(await mobile.refresh(winner.refresh_token)), "REVOKED");
      assert.equal(await mobile.protectedStatus(winner.authentication_token), 401);
      const user = (await rampart.api.findUser(email))!;
      const rows = await rampart.api.auditEvents({ event: "refresh_token_reuse" });
      assert.equal(rows.filter((row) => row.userId === user.id).length, 1, "revoked and audited once");
      console.log(`# burst (${dialect}): 20 parallel refreshes over HTTP in ${ms} ms → 1×200, 19×GEN_MISMATCH`);
    });
  });

  describe(`/token for a cookieless Bearer client (${dialect})`, { timeout: 120_000 }, () => {
    const servers = servedInstances(dialect);
    let rampart: Rampart;
    let mobile: ReturnType<typeof apiClient>;
    before(async () => {
      const served = await servers.start({ ...mobileConfig, tokenEndpoint: { enable: true } });
      rampart = served.rampart;
      mobile = apiClient(served.base);
    });
    after(() => servers.close());

    it("POST /token with Bearer and no CSRF: the new token stays in the family and never outlives the presented one", async () => {
      const email = await newUser(rampart, "Token.Endpoint");
      const t = await mobile.signIn(email);
      const presented = opaquePayload(t.access);
      assert.ok(presented.fam, "the sign-in token is bound to the refresh family");

      servers.clock.offsetMs = 600_000;
      try {
        const r = await mobile.call("POST", "/token", { bearer: t.access });
        assert.equal(r.status, 200, r.body);
        const fresh = r.json.response.authentication_token as string;
        assert.equal(opaquePayload(fresh).fam, presented.fam, "the same family");
        assert.equal(Date.parse(r.json.response.expires_at) / 1000, presented.exp, "ends with the presented token");
        assert.ok(r.json.response.expires_in <= 300 + 1, r.body);
        assert.equal(await mobile.protectedStatus(fresh), 200);

        // Sign-out of the family stops the token /token minted from it.
        const out = await mobile.call("POST", "/logout", { bearer: t.access, json: { refresh_token: t.refresh } });
        assert.equal(out.status, 200, out.body);
        assert.equal(await mobile.protectedStatus(fresh), 401);
      } finally {
        servers.clock.offsetMs = 0;
      }
    });

    it("the token from /token expires with the presented one", async () => {
      const email = await newUser(rampart, "Token.Expiry");
      const t = await mobile.signIn(email);
      servers.clock.offsetMs = 800_000;
      try {
        const r = await mobile.call("GET", "/token", { bearer: t.access });
        assert.equal(r.status, 200, r.body);
        const fresh = r.json.response.authentication_token as string;
        servers.clock.offsetMs = 901_000;
        assert.equal(await mobile.protectedStatus(t.access), 401, "the presented token is past its 15 minutes");
        assert.equal(await mobile.protectedStatus(fresh), 401, "so is the one minted from it");
      } finally {
        servers.clock.offsetMs = 0;
      }
    });
  });
}

describe("CSRF stays for anonymous requests a browser could forge or that carry cookies", { timeout: 120_000 }, () => {
  const servers = servedInstances("sqlite");
  after(() => servers.close());

  it("a form post, a JSON post with a cookie, and the switch off still need the CSRF token", async () => {
    const { rampart, base } = await servers.start(mobileConfig);
    const email = await newUser(rampart, "Csrf.Boundary");
    const post = (headers: Record<string, string>, body: string) =>
      fetch(new URL("/login", base), { method: "POST", headers: { accept: "application/json", ...headers }, body });
    const codes = async (r: Response) => ((await r.json()) as any).response.error_codes as string[];

    const form = await post(
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ email, password: PASSWORD }).toString(),
    );
    assert.equal(form.status, 400);
    assert.deepEqual(await codes(form), ["CSRF_MISSING"]);
    const json = JSON.stringify({ email, password: PASSWORD });
    const withCookie = await post({ "content-type": "application/json", cookie: "theme=dark" }, json);
    assert.equal(withCookie.status, 400);
    assert.deepEqual(await codes(withCookie), ["CSRF_MISSING"]);
    const textPlain = await post({ "content-type": "text/plain" }, json);
    assert.ok(textPlain.status >= 400 && textPlain.status < 500, String(textPlain.status));

    const fs = await servers.start({ ...mobileConfig, csrf: { exemptCookielessJson: false } });
    const off = await fetch(new URL("/login", fs.base), {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: json,
    });
    assert.equal(off.status, 400);
    assert.deepEqual(await codes(off), ["CSRF_MISSING"]);
    // The control: the same JSON without cookies signs in.
    assert.equal((await post({ "content-type": "application/json" }, json)).status, 200);
  });
});
