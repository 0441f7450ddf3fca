import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { externalUrl } from "../../kit/http/links.js";
import { fingerprint, signLinkToken } from "../../kit/link-tokens.js";
import type { EmailedLink } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { confirmationSlice } from "./config.js";

/**
 * A confirmation link: signed for the "confirm" purpose, timestamped, bound to the user's fs_uniquifier and a
 * fingerprint of the email it is mailed to (so it dies when either changes). Absolute URL on the configured origin.
 */
export function confirmationLink(ctx: RequestContext, user: UserRecord): EmailedLink {
  const cfg = sliceOf(ctx.rt.config, confirmationSlice);
  const token = signLinkToken(ctx.rt, "confirm", [user.fsUniquifier, fingerprint(user.email)]);
  return { token, url: externalUrl(ctx, `${cfg.url}/${token}`) };
}
