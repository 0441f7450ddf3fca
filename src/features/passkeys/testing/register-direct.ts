import { randomBytes } from "node:crypto";
import type { SoftAuthenticator } from "../../../../test/helpers/soft-authenticator.js";
import type { Runtime } from "../../../core/runtime.js";
import type { UserRecord } from "../../../datastore/contracts.js";
import { checkRegistration, newChallenge, registrationOptions } from "../ceremony.js";
import { passkeyStore, type PasskeyRecord, type PasskeyUsage } from "../store.js";

/**
 * Registers a passkey for a user without the /wan-register routes (excluded from the build): the same ceremony
 * a browser runs — options, the software authenticator's attestation, its check — then the credential stored.
 * Tests of verify, delete and reset access start from it.
 */
export async function registerDirect(
  rt: Runtime,
  email: string,
  auth: SoftAuthenticator,
  options: { name: string; usage: PasskeyUsage },
): Promise<PasskeyRecord> {
  let user = (await rt.datastore.users.findByEmail(email)) as UserRecord;
  if (!user.fsWebauthnUserHandle) {
    // FS: a uuid4 hex, set the first time the user registers a passkey.
    await rt.datastore.users.update(user.id, { fsWebauthnUserHandle: randomBytes(16).toString("hex") });
    user = (await rt.datastore.users.findById(user.id)) as UserRecord;
  }
  const store = rt.datastore.store(passkeyStore);
  const challenge = newChallenge(rt);
  const creation = await registrationOptions(rt, {
    user: { handle: user.fsWebauthnUserHandle!, name: user.email, displayName: user.email },
    usage: options.usage,
    challenge,
    existing: await store.listForUser(user.id),
  });
  const checked = await checkRegistration(rt, { response: auth.create(creation), challenge, requireUv: false });
  if (!checked.ok) throw new Error(`registration refused: ${checked.cause}`);
  const now = rt.now();
  const created = await store.create({
    ...checked.credential,
    userId: user.id,
    name: options.name,
    usage: options.usage,
    createdAt: now,
    lastUsedAt: now,
  });
  if (created === "credential-in-use") throw new Error("credential in use");
  return created;
}
