import type { Runtime } from "../../core/runtime.js";
import type { ReauthChoice } from "../../core/services.js";
import { providersOf } from "./providers/index.js";

/**
 * The reauth answers' `oauth_enabled` / `oauth_providers` (FS): the providers this deployment offers. The verify
 * pages show a button per provider the user has linked (re-authenticating with any other would be refused).
 */
export function reauthByProvider(rt: Runtime): ReauthChoice {
  const names = [...providersOf(rt).keys()];
  const keys = { oauth_enabled: names.length > 0, oauth_providers: names };
  return { required: keys, form: keys };
}
