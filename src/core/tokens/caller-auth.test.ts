import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Caller } from "../identity.js";
import type { SessionRecord, UserRecord } from "../../datastore/contracts.js";
import { callerAuthentication } from "./caller-auth.js";

/** What guards report about a caller; a JWT caller is observable over HTTP only where JWTs are minted. */
describe("callerAuthentication", () => {
  const user = {} as UserRecord;
  it("a JWT access token is the token mechanism reported as via jwt, with its own expiry and amr", () => {
    const caller: Caller = {
      user,
      mechanism: "token",
      session: null,
      authenticatedAtSeconds: 1_700_000_000,
      token: { format: "jwt", expiresAtSeconds: 1_700_000_900, amr: ["pwd", "otp", "mfa"], family: "f1" },
    };
    assert.deepEqual(callerAuthentication(caller), {
      via: "jwt",
      amr: ["pwd", "otp", "mfa"],
      authenticatedAt: new Date(1_700_000_000_000),
      tokenExpiresAt: new Date(1_700_000_900_000),
    });
  });
  it("a session signed in with a password and an authenticator code: pwd, otp, mfa", () => {
    const session = {
      authnVia: ["password", "tf:authenticator"],
      mfaProof: { kind: "second-factor", method: "authenticator" },
      authenticatedAt: new Date(1_700_000_000_123),
    } as unknown as SessionRecord;
    const caller: Caller = { user, mechanism: "session", session, authenticatedAtSeconds: 1_700_000_000 };
    assert.deepEqual(callerAuthentication(caller), {
      via: "session",
      amr: ["pwd", "otp", "mfa"],
      authenticatedAt: new Date(1_700_000_000_123),
      tokenExpiresAt: null,
    });
  });
  it("a session restored from a remember cookie has no known authentication time", () => {
    const session = {
      authnVia: ["remember"],
      mfaProof: null,
      authenticatedAt: new Date(0),
    } as unknown as SessionRecord;
    const caller: Caller = { user, mechanism: "session", session, authenticatedAtSeconds: 0 };
    assert.equal(callerAuthentication(caller).authenticatedAt, null);
    assert.deepEqual(callerAuthentication(caller).amr, []);
  });
});
