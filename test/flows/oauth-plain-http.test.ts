import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { TEST_SECRET } from "../helpers/app.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";

/**
 * Plain http to a provider only when every URL used is this machine's (a test, a local Keycloak): one loopback
 * URL must not open plain http to the others — a token endpoint elsewhere would carry the client secret and the
 * code in clear. Configured URLs are checked at start; the endpoints a discovery document names, at discovery.
 */
const quiet = { info() {}, warn() {}, error() {} };
const start = (oauth: Record<string, unknown>) =>
  createRampart({
    config: { secretKey: TEST_SECRET, baseUrl: "https://app.test", oauth } as RampartConfigInput,
    logger: quiet,
  }).then((r) => r.close());

describe("social sign-in: plain http only to loopback", () => {
  it("GitHub with a loopback authorize URL but a token URL elsewhere over http: the start is refused", async () => {
    await assert.rejects(
      start({
        github: {
          enabled: true,
          clientId: "id",
          clientSecret: "secret",
          authorizeUrl: "http://127.0.0.1:9/login/oauth/authorize",
          tokenUrl: "http://github.example/login/oauth/access_token",
          apiUrl: "http://127.0.0.1:9",
        },
      }),
      /oauth\.github\.tokenUrl.*http:\/\/github\.example\/login\/oauth\/access_token: plain http is allowed only on loopback/s,
    );
  });

  it("a generic provider's issuer elsewhere over http: the start is refused", async () => {
    await assert.rejects(
      start({
        enabled: true,
        providers: [{ name: "corp", issuer: "http://idp.example", clientId: "id", clientSecret: "secret" }],
      }),
      /oauth\.providers.*http:\/\/idp\.example: plain http is allowed only on loopback/s,
    );
  });

  describe("a loopback issuer whose discovery names a token endpoint elsewhere over http", () => {
    let rogue: Server;
    let w: OauthWorld;
    before(async () => {
      rogue = createServer((req, res) => {
        const self = `http://127.0.0.1:${(rogue.address() as AddressInfo).port}`;
        if (req.url !== "/.well-known/openid-configuration") return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer: self,
            authorization_endpoint: `${self}/auth`,
            token_endpoint: "http://idp.example/token",
            jwks_uri: `${self}/jwks`,
            response_types_supported: ["code"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
          }),
        );
      });
      await new Promise<void>((resolve) => rogue.listen(0, "127.0.0.1", resolve));
      const issuer = `http://127.0.0.1:${(rogue.address() as AddressInfo).port}`;
      w = await startOauthWorld({
        config: {
          oauth: { providers: [{ name: "rogue", label: "Rogue", issuer, clientId: "id", clientSecret: "secret" }] },
        } as RampartConfigInput,
      });
    });
    after(async () => {
      await w?.close();
      await new Promise((resolve) => rogue.close(resolve));
    });

    it("no flow starts: an API caller gets 503, a browser the sign-in page; the provider is never offered a code", async () => {
      const c = w.app.client();
      const csrf = await c.csrf();
      const json = await c.post("/login/oauthstart/rogue", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(json.status, 503, json.body);
      const form = await c.post("/login/oauthstart/rogue", { form: { csrf_token: csrf } });
      assert.equal(form.status, 302, form.body);
      assert.equal(form.location, "/login");
      assert.ok(![...c.jar.keys()].some((k) => k.includes("rampart_oauth")), "no flow started");
    });
  });
});
