import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { TestApp } from "../../../../test/helpers/app.js";
import type { SoftAuthenticator } from "../../../../test/helpers/soft-authenticator.js";
import type { UserRecord } from "../../../datastore/contracts.js";
import { checkRegistration, newChallenge, registrationOptions } from "../ceremony.js";
import { passkeyStore, type PasskeyRecord, type PasskeyUsage } from "../store.js";

/**
 * Registers a passkey for a user without HTTP (excluded from the build): options → the software authenticator's
 * create() → the registration check → the store, as the registration route does. Sign-in tests use it so they
 * do not depend on /wan-register.
 */
export async function enrolPasskey(
  app: TestApp,
  user: UserRecord,
  auth: SoftAuthenticator,
  args: { name: string; usage: PasskeyUsage },
): Promise<PasskeyRecord> {
  const rt = app.runtime;
  let handle = user.fsWebauthnUserHandle;
  if (!handle) {
    // FS: a uuid4 hex, made when the user first registers a passkey.
    handle = randomUUID().replace(/-/g, "");
    await rt.datastore.users.update(user.id, { fsWebauthnUserHandle: handle });
  }
  const challenge = newChallenge(rt);
  const options = await registrationOptions(rt, {
    user: { handle, name: user.email, displayName: user.email },
    usage: args.usage,
    challenge,
    existing: [],
  });
  const checked = await checkRegistration(rt, { response: auth.create(options), challenge, requireUv: false });
  assert.ok(checked.ok, JSON.stringify(checked));
  const now = new Date();
  const created = await rt.datastore.store(passkeyStore).create({
    ...checked.credential,
    userId: user.id,
    name: args.name,
    usage: args.usage,
    createdAt: now,
    lastUsedAt: now,
  });
  assert.notEqual(created, "credential-in-use");
  return created as PasskeyRecord;
}
