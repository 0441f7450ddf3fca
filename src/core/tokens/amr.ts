/**
 * The authentication methods a token says were proved (its `amr`), in the names of RFC 8176 so that another
 * service can read them without knowing Rampart: a password is "pwd", a one-time code (authenticator, emailed or
 * texted code, recovery code) "otp", a text message also "sms", a mailed link or code also "email", a passkey
 * "pop", and two different factors together "mfa". Methods Rampart does not
 * know (an app's own step) are left out rather than guessed.
 */
const AMR: Readonly<Record<string, readonly string[]>> = {
  password: ["pwd"],
  basic: ["pwd"],
  change: ["pwd"],
  register: ["pwd"],
  reset: ["pwd"],
  authenticator: ["otp"],
  recovery_code: ["otp"],
  email: ["otp", "email"],
  sms: ["otp", "sms"],
  confirm: ["email"],
  // A passkey is proof of possession of a key; whether that key is hardware-bound ("hwk") or synced is not
  // something the server can know from a "none" attestation, so the unspecified "pop" is the honest name.
  webauthn: ["pop"],
};

/**
 * `authnVia` as a session records it ("password", "tf:authenticator"…) → amr values, each once, in a stable order;
 * "mfa" is added when a second factor completed the sign-in or the first factor was itself multi-factor.
 */
export function amrOf(authnVia: readonly string[], multiFactor = false): string[] {
  const out = new Set<string>();
  let second = false;
  for (const via of authnVia) {
    const method = via.startsWith("tf:") ? via.slice(3) : via;
    if (via.startsWith("tf:")) second = true;
    for (const name of AMR[method] ?? []) out.add(name);
  }
  if (second || multiFactor) out.add("mfa");
  return [...out];
}

/**
 * What a caller proved plus a second factor they have only just enrolled: the new method's names, but "mfa" only
 * when the caller had already proved two factors. Entering the first code of a new authenticator shows it works;
 * it does not turn a password-only sign-in into a multi-factor one.
 */
export function amrWithEnrolled(proved: readonly string[], method: string): string[] {
  const out = new Set(proved.filter((name) => name !== "mfa"));
  for (const name of amrOf([method])) out.add(name);
  if (proved.includes("mfa")) out.add("mfa");
  return [...out];
}
