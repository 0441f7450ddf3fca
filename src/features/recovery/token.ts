import type { RequestContext } from "../../core/context.js";
import { externalUrl } from "../../kit/http/links.js";
import { fingerprint, signLinkToken, verifyLinkToken } from "../../kit/link-tokens.js";
import type { Runtime } from "../../core/runtime.js";
import type { EmailedLink } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { RecoveryConfig } from "./config.js";

/**
 * Reset links: signed for the "reset" purpose, timestamped, carrying the user's fs_uniquifier and a fingerprint
 * of the current password hash. Nothing is stored; a link stops working when the password changes (by this
 * link, /change, an admin) or the uniquifier rotates — which is what makes it single-use.
 */
const PURPOSE = "reset";

export function resetLink(ctx: RequestContext, cfg: Readonly<RecoveryConfig>, user: UserRecord): EmailedLink {
  const token = signLinkToken(ctx.rt, PURPOSE, [user.fsUniquifier, fingerprint(user.password)]);
  return { token, url: externalUrl(ctx, `${cfg.resetUrl}/${token}`) };
}

export type ResetTokenCheck =
  | { ok: true; user: UserRecord }
  | { ok: false; code: "INVALID_RESET_PASSWORD_TOKEN" | "PASSWORD_RESET_EXPIRED"; user: UserRecord | null };

/** Valid when well signed, not older than the configured window, and its user, uniquifier and password still match. */
export async function checkResetToken(
  rt: Runtime,
  cfg: Readonly<RecoveryConfig>,
  token: string,
): Promise<ResetTokenCheck> {
  const invalid = (user: UserRecord | null = null): ResetTokenCheck => ({
    ok: false,
    code: "INVALID_RESET_PASSWORD_TOKEN",
    user,
  });
  const verified = verifyLinkToken(rt, PURPOSE, token, cfg.resetPasswordWithinSeconds);
  if (!verified.ok)
    return verified.reason === "expired" ? { ok: false, code: "PASSWORD_RESET_EXPIRED", user: null } : invalid();
  const [uniquifier, passwordPrint] = verified.data;
  if (verified.data.length !== 2 || !uniquifier || !passwordPrint) return invalid();
  const user = await rt.datastore.users.findByUniquifier(uniquifier);
  // A deactivated account is not reset through an old link (its owner may be the reason it was deactivated).
  if (!user || !user.active || fingerprint(user.password) !== passwordPrint) return invalid(user);
  return { ok: true, user };
}
