import type { Runtime } from "../../core/runtime.js";
import type { Services } from "../../core/services.js";
import { providersOf } from "./providers/index.js";
import { linkedIdentityStore } from "./store.js";

/** `services.oauth`: what other features and the core ask of linked identities. */
export function oauthService(rt: Runtime): NonNullable<Services["oauth"]> {
  const store = () => rt.datastore.store(linkedIdentityStore);
  return {
    providerNames: () => [...providersOf(rt).keys()],
    hasLinked: async (user) => (await store().countForUser(user.id)) > 0,
    deleteForUser: (user) => store().deleteForUser(user.id),
    stripLinks: (tx, user) => tx.store(linkedIdentityStore).deleteForUser(user.id),
  };
}
