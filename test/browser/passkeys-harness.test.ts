import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
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
      const created = (await p.raw("create", options)) as RegistrationResponseJSON;
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
      const assertOnce = async () => {
        const c = newChallenge(rt);
        const o = await authenticationOptions(rt, { challenge: c, allow: [], userVerification: "preferred" });
        const answer = (await p.raw("get", o)) as AuthenticationResponseJSON;
        return checkAssertion(rt, { response: answer, challenge: c, credential: record, requireUv: true });
      };
      const first = await assertOnce();
      assert.ok(first.ok, JSON.stringify(first));
      assert.ok(first.newCounter > record.signCount, "the virtual authenticator counts");
      record.signCount = first.newCounter;

      await p.setSignCount(held.credentialId, 0);
      const cloned = await assertOnce();
      assert.equal(cloned.ok, false);
      assert.equal(!cloned.ok && cloned.counterRegression, true);

      const other = await pb.otherOrigin();
      await p.page.goto(`${other}/login`);
      await p.setSignCount(held.credentialId, record.signCount + 10);
      const foreign = await assertOnce();
      assert.equal(foreign.ok, false, "the browser ran it (same RP ID host) but the origin is not configured");
      assert.match(!foreign.ok ? foreign.cause : "", /origin/i);
      assert.deepEqual(p.problems, []);
      // The recorder does see what the pages' tests assert is absent: an inline script without the nonce.
      await p.page.goto(`${pb.base}/login`);
      const reported = p.page.waitForEvent("console", (m) => /Content Security Policy/i.test(m.text()));
      await p.page.evaluate(
        `(() => { const s = document.createElement("script"); s.textContent = "1"; document.body.append(s); })()`,
      );
      assert.ok(
        (await reported) && (p.problems as string[]).some((m) => m.startsWith("csp:")),
        "the refused script is recorded",
      );
      await p.close();
    });
  },
);
