import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { chromiumAvailable } from "../helpers/browser.js";
import { openPasskeyBrowser, type PasskeyBrowser } from "../helpers/passkey-browser.js";
import {
  authenticationOptions,
  checkAssertion,
  checkRegistration,
  newChallenge,
  registrationOptions,
} from "../../src/features/passkeys/ceremony.js";
import type { PasskeyRecord } from "../../src/features/passkeys/store.js";

const available = chromiumAvailable();

/**
 * Runs navigator.credentials.create/get in the page with JSON options; the answer in WebAuthn's JSON form. Plain
 * JavaScript text: the test runner's transform would add helpers to a function that the page does not have.
 */
const IN_PAGE = `async ({ kind, options: o }) => {
  const toBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toB64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const ids = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));
  const publicKey = { ...o, challenge: toBytes(o.challenge) };
  if (kind === "create") {
    publicKey.user = { ...o.user, id: toBytes(o.user.id) };
    publicKey.excludeCredentials = ids(o.excludeCredentials);
    const c = await navigator.credentials.create({ publicKey });
    return { id: c.id, rawId: toB64(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
      response: { clientDataJSON: toB64(c.response.clientDataJSON), attestationObject: toB64(c.response.attestationObject),
        transports: c.response.getTransports() } };
  }
  publicKey.allowCredentials = ids(o.allowCredentials);
  const c = await navigator.credentials.get({ publicKey });
  return { id: c.id, rawId: toB64(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
    response: { clientDataJSON: toB64(c.response.clientDataJSON), authenticatorData: toB64(c.response.authenticatorData),
      signature: toB64(c.response.signature), userHandle: c.response.userHandle ? toB64(c.response.userHandle) : undefined } };
}`;

async function inPage(page: Page, kind: "create" | "get", options: unknown): Promise<any> {
  return page.evaluate(`(${IN_PAGE})(${JSON.stringify({ kind, options })})`);
}

/**
 * The browser harness itself: Chromium's WebAuthn with a CDP virtual authenticator on http://localhost:PORT,
 * checked by the server's ceremony code against the configured relying party (RP ID "localhost", that origin).
 * A credential put back with a lower signature counter (a clone) is caught; a page at another port is another
 * origin, which the server refuses although the browser ran the ceremony.
 */
describe(
  "passkeys browser harness (Chromium, virtual authenticator)",
  { skip: !available && "chromium not installed" },
  () => {
    let pb: PasskeyBrowser;
    before(async () => {
      pb = await openPasskeyBrowser();
    });
    after(async () => {
      await pb?.close();
    });

    it("registers and asserts on localhost; a lowered counter is a regression; another port is another origin", async () => {
      const rt = pb.app.runtime;
      const p = await pb.open();
      await p.page.goto(`${pb.base}/login`);
      const challenge = newChallenge(rt);
      const options = await registrationOptions(rt, {
        user: { handle: "b".repeat(32), name: "pass-key.owner+tag@sub.example.test", displayName: "owner" },
        usage: "first",
        challenge,
        existing: [],
      });
      const created = (await inPage(p.page, "create", options)) as RegistrationResponseJSON;
      const registered = await checkRegistration(rt, { response: created, challenge, requireUv: true });
      assert.ok(registered.ok, JSON.stringify(registered));
      const [held] = await p.credentials();
      assert.ok(held?.isResidentCredential, "a discoverable credential in the virtual authenticator");
      assert.equal(held.rpId, "localhost");

      const now = new Date();
      const record: PasskeyRecord = {
        ...registered.credential,
        id: 1,
        userId: 1,
        name: "Laptop",
        usage: "first",
        createdAt: now,
        lastUsedAt: now,
      };
      const assertOnce = async (page: Page) => {
        const c = newChallenge(rt);
        const o = await authenticationOptions(rt, { challenge: c, allow: [], userVerification: "preferred" });
        const answer = (await inPage(page, "get", o)) as AuthenticationResponseJSON;
        return checkAssertion(rt, { response: answer, challenge: c, credential: record, requireUv: true });
      };
      const first = await assertOnce(p.page);
      assert.ok(first.ok, JSON.stringify(first));
      assert.ok(first.newCounter > record.signCount, "the virtual authenticator counts");
      record.signCount = first.newCounter;

      await p.setSignCount(held.credentialId, 0);
      const cloned = await assertOnce(p.page);
      assert.equal(cloned.ok, false);
      assert.equal(!cloned.ok && cloned.counterRegression, true);

      const other = await pb.otherOrigin();
      await p.page.goto(`${other}/login`);
      await p.setSignCount(held.credentialId, record.signCount + 10);
      const foreign = await assertOnce(p.page);
      assert.equal(foreign.ok, false, "the browser ran it (same RP ID host) but the origin is not configured");
      assert.match(!foreign.ok ? foreign.cause : "", /origin/i);
      assert.deepEqual(p.problems, []);
      await p.close();
    });
  },
);
