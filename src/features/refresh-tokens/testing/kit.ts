import assert from "node:assert/strict";
import type { RampartConfigInput } from "../../../core/config/index.js";
import type { TestApp } from "../../../../test/helpers/app.js";
import type { Reply, RequestOptions } from "../../../../test/helpers/client.js";

/** Config of a cookieless API client's app: tokens in JSON, no CSRF for token callers or anonymous sign-in. */
export const mobileConfig: RampartConfigInput = {
  refreshTokens: { enabled: true, cookieName: null },
  csrf: { ignoreUnauthEndpoints: true, protectMechanisms: ["session", "basic"] },
  lockout: { threshold: 100 },
};

export const PASSWORD = "correct horse battery";

/** A mobile-style client: never sends or keeps a cookie (each request starts with an empty jar). */
export function mobileClient(app: TestApp) {
  const c = app.client();
  const send = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    c.jar.clear();
    const reply = await c.request(method, path, options);
    c.jar.clear();
    return reply;
  };
  return {
    send,
    /** JSON sign-in asking for tokens: the auth token and the refresh token. */
    async signIn(email: string, password = PASSWORD) {
      const r = await send("POST", "/login?include_auth_token", { json: { email, password } });
      assert.equal(r.status, 200, r.body);
      const user = r.json.response.user as { authentication_token: string; refresh_token: string };
      assert.ok(user.authentication_token && user.refresh_token, r.body);
      return { access: user.authentication_token, refresh: user.refresh_token };
    },
    refresh: (token: unknown) => send("POST", "/refresh-token", { json: { refresh_token: token } }),
    /** Status of the protected demo route with this access token. */
    async use(access: string) {
      return (await send("GET", "/api/protected", { headers: { "authentication-token": access }, acceptJson: true }))
        .status;
    },
  };
}

/** The reason named in a refused refresh ("INVALID", "GEN_MISMATCH"…), asserting the contract's error shape. */
export function reasonOf(r: Reply): string {
  assert.equal(r.status, 400, r.body);
  const res = r.json.response;
  assert.deepEqual(res.error_codes, ["REFRESH_TOKEN_INVALID"], r.body);
  const text = res.field_errors.refresh_token[0] as string;
  const m = /^Refresh token is invalid \((\w+)\)$/.exec(text);
  assert.ok(m, text);
  return m[1]!;
}

let n = 0;
/** A new user with an address a stranger would use (dots, plus, dashes, sub-domain, upper case). */
export async function newUser(app: TestApp, prefix = "Mobile.User"): Promise<string> {
  const email = `${prefix}+${++n}-${Date.now() % 100000}@Sub.Example-Host.test`;
  await app.rampart.api.createUser({ email, password: PASSWORD });
  return email;
}
