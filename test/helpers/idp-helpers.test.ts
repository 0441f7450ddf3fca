import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { followToRedirectUri, startOidcIdp, type OidcIdp } from "./oidc-idp.js";
import { startGithubFake, type GithubFake } from "./github-fake.js";

/** The loopback identity providers the social sign-in tests use, driven by a standard relying party (openid-client). */
const REDIRECT = "http://127.0.0.1:9/auth/oauth/callback";
const insecure = { execute: [client.allowInsecureRequests] };

interface Started {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

async function authorize(
  config: client.Configuration,
  extra: Record<string, string> = {},
  pkce = true,
): Promise<Started> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params: Record<string, string> = {
    redirect_uri: REDIRECT,
    scope: "openid email profile",
    state,
    nonce,
    ...extra,
  };
  if (pkce) {
    params.code_challenge = await client.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = "S256";
  }
  const url = await followToRedirectUri(client.buildAuthorizationUrl(config, params).href, REDIRECT);
  return { url, verifier, state, nonce };
}

/** The error's message and its causes' (openid-client wraps the precise reason in `cause`). */
function messages(e: unknown): string {
  const out: string[] = [];
  for (let c = e; c instanceof Error; c = c.cause) out.push(c.message);
  return out.join(" <- ");
}

function grant(config: client.Configuration, s: Started, verifier = s.verifier) {
  return client.authorizationCodeGrant(config, s.url, {
    pkceCodeVerifier: verifier,
    expectedState: s.state,
    expectedNonce: s.nonce,
    idTokenExpected: true,
  });
}

describe("loopback OpenID Connect provider", () => {
  let idp: OidcIdp;
  let config: client.Configuration;
  before(async () => {
    const t0 = Date.now();
    idp = await startOidcIdp({ redirectUris: [REDIRECT] });
    assert.ok(Date.now() - t0 < 3000, `started in ${Date.now() - t0} ms`);
    config = await client.discovery(new URL(idp.issuer), idp.clientId, idp.clientSecret, undefined, insecure);
  });
  after(() => idp.close());

  it("signs in as the set account: code flow with PKCE S256, state, nonce; claims in the id_token", async () => {
    idp.setAccount({
      sub: "alice-1",
      email: "alice@example.test",
      email_verified: true,
      name: "Alice",
      amr: ["pwd"],
      acr: "1",
    });
    const s = await authorize(config);
    assert.equal(s.url.searchParams.get("state"), s.state);
    assert.equal(s.url.searchParams.get("iss"), idp.issuer);
    assert.ok(s.url.searchParams.get("code"));
    const tokens = await grant(config, s);
    const claims = tokens.claims()!;
    assert.equal(claims.sub, "alice-1");
    assert.equal(claims.email, "alice@example.test");
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, "Alice");
    assert.deepEqual(claims.amr, ["pwd"]);
    assert.equal(claims.acr, "1");
    assert.equal(claims.aud, idp.clientId);
    const seen = idp.requests.authorize.at(-1)!;
    assert.equal(seen.code_challenge_method, "S256");
    assert.equal(seen.code_challenge, await client.calculatePKCECodeChallenge(s.verifier));
    assert.equal(seen.nonce, s.nonce);
    assert.equal(seen.state, s.state);
    assert.equal(seen.redirect_uri, REDIRECT);
    assert.equal(seen.scope, "openid email profile");
    const token = idp.requests.token.at(-1)!;
    assert.equal(token.code_verifier, s.verifier);
    assert.equal(token.auth_method, "client_secret_post");
  });

  it("accepts client_secret_basic too, and keeps a string email_verified a string", async () => {
    const basic = await client.discovery(
      new URL(idp.issuer),
      idp.clientId,
      undefined,
      client.ClientSecretBasic(idp.clientSecret),
      insecure,
    );
    idp.setAccount({ sub: "bob-2", email: "bob@example.test", email_verified: "true" });
    const tokens = await grant(basic, await authorize(basic));
    assert.equal(tokens.claims()!.sub, "bob-2");
    assert.equal(tokens.claims()!.email_verified, "true");
    assert.equal(idp.requests.token.at(-1)!.auth_method, "client_secret_basic");
    idp.setAccount({ sub: "bob-2", email: "bob@example.test", email_verified: false });
    assert.equal((await grant(basic, await authorize(basic))).claims()!.email_verified, false);
  });

  it("a code redeemed after setAccount changed still carries the account that signed in", async () => {
    idp.setAccount({ sub: "carol-3", email: "carol@example.test", email_verified: true });
    const s = await authorize(config);
    idp.setAccount({ sub: "dave-4", email: "dave@example.test", email_verified: true });
    const claims = (await grant(config, s)).claims()!;
    assert.equal(claims.sub, "carol-3");
    assert.equal(claims.email, "carol@example.test");
  });

  it("refuses a code used twice, a wrong code_verifier, and an authorization without PKCE", async () => {
    const s = await authorize(config);
    await grant(config, s);
    await assert.rejects(grant(config, s), (e: Error & { error?: string }) => e.error === "invalid_grant");

    const wrong = await authorize(config);
    await assert.rejects(
      grant(config, wrong, client.randomPKCECodeVerifier()),
      (e: Error & { error?: string }) => e.error === "invalid_grant",
    );

    const noPkce = await authorize(config, {}, false);
    assert.equal(noPkce.url.searchParams.get("error"), "invalid_request");
    assert.match(noPkce.url.searchParams.get("error_description") ?? "", /PKCE/);
  });

  it("a tampered id_token is refused: wrong aud always, a bad signature when the client checks signatures", async () => {
    idp.tamperNextIdToken((c) => ({ ...c, aud: "someone-else" }));
    await assert.rejects(grant(config, await authorize(config)), (e: Error) => /"aud"/.test(messages(e)));
    // openid-client does not check the signature of an id_token from the token endpoint (OIDC Core 3.1.3.7 lets the
    // client rely on TLS there) unless non-repudiation checks are on: a relying party that wants it must ask.
    idp.tamperNextIdToken((c) => c, { key: "other" });
    assert.ok((await grant(config, await authorize(config))).claims());
    const strict = await client.discovery(new URL(idp.issuer), idp.clientId, idp.clientSecret, undefined, {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    idp.tamperNextIdToken((c) => c, { key: "other" });
    await assert.rejects(grant(strict, await authorize(strict)), (e: Error) => /signature/i.test(messages(e)));
    // The tamper applies once: the next sign-in is clean.
    assert.ok((await grant(config, await authorize(config))).claims());
  });

  it("signIdToken signs arbitrary claims with the provider's published key", async () => {
    const jwt = await idp.signIdToken({ iss: "http://elsewhere.test", sub: "x", aud: "y", exp: 1 });
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    await assert.rejects(jwtVerify(jwt, jwks), /exp/);
    assert.deepEqual(decodeJwt(jwt), { iss: "http://elsewhere.test", sub: "x", aud: "y", exp: 1 });
    const now = Math.floor(Date.now() / 1000);
    const fine = await idp.signIdToken({ sub: "x", exp: now + 60 });
    assert.equal((await jwtVerify(fine, jwks)).payload.sub, "x");
    await assert.rejects(jwtVerify(await idp.signIdToken({ sub: "x" }, { key: "other" }), jwks), /signature/);
  });

  it("faults: token down fails fast, slow answers late, error answers OAuth error JSON; authorize error; discovery down", async () => {
    try {
      idp.setFault({ kind: "down" });
      let t0 = Date.now();
      await assert.rejects(grant(config, await authorize(config)));
      assert.ok(Date.now() - t0 < 2000);

      idp.setFault({ kind: "slow", ms: 300 });
      const s = await authorize(config);
      t0 = Date.now();
      await grant(config, s);
      assert.ok(Date.now() - t0 >= 300);

      idp.setFault({ kind: "error", error: "temporarily_unavailable", description: "try later" });
      await assert.rejects(
        grant(config, await authorize(config)),
        (e: Error & { error?: string; error_description?: string }) => {
          return e.error === "temporarily_unavailable" && e.error_description === "try later";
        },
      );

      idp.setFault({ kind: "error", error: "access_denied", description: "the user said no" }, ["authorize"]);
      const denied = await authorize(config);
      assert.equal(denied.url.searchParams.get("error"), "access_denied");
      assert.equal(denied.url.searchParams.get("state"), denied.state);
      assert.equal(denied.url.searchParams.get("iss"), idp.issuer);

      idp.setFault({ kind: "down" }, ["discovery"]);
      await assert.rejects(client.discovery(new URL(idp.issuer), idp.clientId, idp.clientSecret, undefined, insecure));
    } finally {
      idp.setFault(null);
    }
    assert.ok((await grant(config, await authorize(config))).claims());
  });
});

describe("loopback GitHub OAuth server", () => {
  let gh: GithubFake;
  let config: client.Configuration;
  before(async () => {
    gh = await startGithubFake({ redirectUris: [REDIRECT] });
    config = new client.Configuration(
      {
        issuer: gh.url,
        authorization_endpoint: `${gh.url}/login/oauth/authorize`,
        token_endpoint: `${gh.url}/login/oauth/access_token`,
      },
      gh.clientId,
      gh.clientSecret,
    );
    client.allowInsecureRequests(config);
  });
  after(() => gh.close());

  async function ghAuthorize(scope = "read:user user:email") {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const code_challenge = await client.calculatePKCECodeChallenge(verifier);
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      state,
      code_challenge,
      code_challenge_method: "S256",
    });
    const url = await followToRedirectUri(authUrl.href, REDIRECT);
    return { url, verifier, state };
  }

  const api = (path: string, token: string) =>
    fetch(`${gh.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it("full web flow with PKCE, then /user and /user/emails with the access token", async () => {
    gh.setUser({
      id: 42,
      login: "octocat",
      name: "The Octocat",
      email: null,
      emails: [
        { email: "octo@example.test", primary: true, verified: true },
        { email: "old@example.test", primary: false, verified: false },
      ],
    });
    const s = await ghAuthorize();
    assert.equal(s.url.searchParams.get("state"), s.state);
    const tokens = await client.authorizationCodeGrant(config, s.url, {
      pkceCodeVerifier: s.verifier,
      expectedState: s.state,
    });
    assert.equal(tokens.token_type, "bearer");
    assert.equal(tokens.scope, "read:user,user:email");
    assert.equal(tokens.id_token, undefined);
    const user = await api("/user", tokens.access_token);
    assert.deepEqual(await user.json(), { id: 42, login: "octocat", name: "The Octocat", email: null });
    const emails = await api("/user/emails", tokens.access_token);
    assert.deepEqual(await emails.json(), [
      { email: "octo@example.test", primary: true, verified: true, visibility: "private" },
      { email: "old@example.test", primary: false, verified: false, visibility: null },
    ]);
    assert.equal(gh.requests.authorize.at(-1)!.code_challenge_method, "S256");
    assert.equal(gh.requests.token.at(-1)!.code_verifier, s.verifier);
    assert.deepEqual(
      gh.requests.api.slice(-2).map((r) => r.path),
      ["/user", "/user/emails"],
    );
  });

  it("answers errors as GitHub does: status 200 with error; code single-use; verifier and client checked", async () => {
    const s = await ghAuthorize();
    const post = (body: Record<string, string>) =>
      fetch(`${gh.url}/login/oauth/access_token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const code = s.url.searchParams.get("code")!;
    const base = { client_id: gh.clientId, client_secret: gh.clientSecret, code, redirect_uri: REDIRECT };
    const wrong = await post({ ...base, code_verifier: client.randomPKCECodeVerifier() });
    assert.equal(wrong.status, 200);
    const body = (await wrong.json()) as Record<string, string>;
    assert.equal(body.error, "bad_verification_code");
    assert.ok(body.error_uri);
    // The failed attempt used the code up.
    const again = (await (await post({ ...base, code_verifier: s.verifier })).json()) as Record<string, string>;
    assert.equal(again.error, "bad_verification_code");

    const s2 = await ghAuthorize();
    const badClient = await post({ ...base, client_secret: "nope", code: s2.url.searchParams.get("code")! });
    assert.equal(((await badClient.json()) as Record<string, string>).error, "incorrect_client_credentials");

    // openid-client refuses the 200-with-error answer too.
    const s3 = await ghAuthorize();
    await client.authorizationCodeGrant(config, s3.url, { pkceCodeVerifier: s3.verifier, expectedState: s3.state });
    await assert.rejects(
      client.authorizationCodeGrant(config, s3.url, { pkceCodeVerifier: s3.verifier, expectedState: s3.state }),
    );
  });

  it("answers form-encoded without Accept: application/json; /user/emails needs the user:email scope", async () => {
    const s = await ghAuthorize("read:user");
    const form = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: gh.clientId,
        client_secret: gh.clientSecret,
        code: s.url.searchParams.get("code")!,
        code_verifier: s.verifier,
      }),
    });
    const answer = new URLSearchParams(await form.text());
    assert.equal(answer.get("token_type"), "bearer");
    const token = answer.get("access_token")!;
    assert.equal((await api("/user", token)).status, 200);
    assert.equal((await api("/user/emails", token)).status, 404);
    assert.equal((await api("/user", "gho_wrong")).status, 401);
  });

  it("faults: token down fails fast, token error reads as GitHub's, authorize error redirects with state", async () => {
    try {
      gh.setFault({ kind: "down" });
      const s = await ghAuthorize();
      const t0 = Date.now();
      await assert.rejects(
        client.authorizationCodeGrant(config, s.url, { pkceCodeVerifier: s.verifier, expectedState: s.state }),
      );
      assert.ok(Date.now() - t0 < 2000);
      gh.setFault({ kind: "error", error: "bad_verification_code", description: "expired" });
      const s2 = await ghAuthorize();
      await assert.rejects(
        client.authorizationCodeGrant(config, s2.url, { pkceCodeVerifier: s2.verifier, expectedState: s2.state }),
      );
      gh.setFault(
        { kind: "error", error: "access_denied", description: "The user has denied your application access." },
        ["authorize"],
      );
      const denied = await ghAuthorize();
      assert.equal(denied.url.searchParams.get("error"), "access_denied");
      assert.equal(denied.url.searchParams.get("state"), denied.state);
    } finally {
      gh.setFault(null);
    }
  });
});
