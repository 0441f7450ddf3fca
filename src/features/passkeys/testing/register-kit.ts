import assert from "node:assert/strict";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../../test/helpers/client.js";
import type { Forgery, SoftAuthenticator } from "../../../../test/helpers/soft-authenticator.js";

/** Shared setup of the passkey registration tests (excluded from the build). */
export const PASSWORD = "correct horse battery";

export function createWanApp(
  dialect: "sqlite" | "postgres" | "mysql",
  webauthn: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<TestApp> {
  return createTestApp({
    dialect,
    mail: true,
    config: { ...extra, webauthn: { enabled: true, ...webauthn } } as never,
  });
}

export async function post(c: TestClient, path: string, json: Record<string, unknown>): Promise<Reply> {
  const csrf = await c.csrf();
  return c.post(path, { json, headers: { "x-csrf-token": csrf } });
}

/** A signed-in JSON client of a new password user. */
export async function signedIn(app: TestApp, email: string): Promise<TestClient> {
  await app.rampart.api.createUser({ email, password: PASSWORD });
  const c = app.client();
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 200, r.body);
  return c;
}

/** POST /wan-register and the options it answered (asserting it started). */
export async function start(
  c: TestClient,
  name: string,
  usage?: string,
): Promise<{ options: any; state: string; reply: Reply }> {
  const reply = await post(c, "/wan-register", usage === undefined ? { name } : { name, usage });
  assert.equal(reply.status, 200, reply.body);
  return { options: reply.json.response.credential_options, state: reply.json.response.wan_state, reply };
}

/** Posts the authenticator's new credential to /wan-register/<state> (as FS's script does: a JSON string). */
export function finish(c: TestClient, state: string, credential: unknown): Promise<Reply> {
  return post(c, `/wan-register/${state}`, {
    credential: typeof credential === "string" ? credential : JSON.stringify(credential),
  });
}

/** Registers a passkey end to end (JSON API). */
export async function register(
  c: TestClient,
  auth: SoftAuthenticator,
  name: string,
  usage?: string,
  forge?: Forgery,
): Promise<Reply> {
  const { options, state } = await start(c, name, usage);
  return finish(c, state, auth.create(options, forge));
}

/**
 * The same registration answer with another credential id in it: a "none" attestation signs nothing, so an
 * authenticator (or an attacker) can claim any id — the id of a credential another account registered.
 */
export function withCredentialId(response: RegistrationResponseJSON, idB64: string): RegistrationResponseJSON {
  const attestation = isoCBOR.decodeFirst<Map<string, unknown>>(
    isoBase64URL.toBuffer(response.response.attestationObject),
  );
  const authData = attestation.get("authData") as Uint8Array;
  const oldLength = (authData[53]! << 8) | authData[54]!;
  const id = isoBase64URL.toBuffer(idB64);
  const next = new Uint8Array(authData.length - oldLength + id.length);
  next.set(authData.subarray(0, 53));
  next.set([(id.length >> 8) & 0xff, id.length & 0xff], 53);
  next.set(id, 55);
  next.set(authData.subarray(55 + oldLength), 55 + id.length);
  attestation.set("authData", next);
  return {
    ...response,
    id: idB64,
    rawId: idB64,
    response: {
      ...response.response,
      attestationObject: isoBase64URL.fromBuffer(isoCBOR.encode(attestation as never) as Uint8Array<ArrayBuffer>),
    },
  };
}

/** The form with this id on a page: its action, its csrf_token and its markup. */
export function formById(page: string, id: string): { action: string; csrf: string; html: string } {
  const m = new RegExp(`<form method="post" action="([^"]+)"[^>]*id="${id}"[^>]*>([\\s\\S]*?)</form>`).exec(page);
  assert.ok(m, `form #${id} on the page:\n${page}`);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(m[2]!);
  assert.ok(csrf, `csrf_token in form #${id}`);
  return { action: m[1]!.replaceAll("&amp;", "&"), csrf: csrf[1]!, html: m[2]! };
}

/** The JSON of a page's ceremony form (what the browser script reads). */
export function optionsOnPage(page: string): any {
  const m = /<script type="application\/json" data-wan-options>([\s\S]*?)<\/script>/.exec(page);
  assert.ok(m, `ceremony options on the page:\n${page}`);
  return JSON.parse(m[1]!);
}
