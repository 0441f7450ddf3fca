import type { Runtime } from "../../core/runtime.js";
import type { Services } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { usableFor } from "./ceremony.js";
import { isSignupBrowser } from "./signup-browser.js";
import { passkeyStore } from "./store.js";

/** What other features and the core ask of passkeys (see registry.ts). */
export function passkeysService(rt: Runtime): NonNullable<Services["passkeys"]> {
  const store = () => rt.datastore.store(passkeyStore);
  return {
    async hasVerifyCredential(user: UserRecord) {
      return (await store().listForUser(user.id)).some((c) => usableFor(rt, c, "verify"));
    },
    async hasFirstFactor(user: UserRecord) {
      return (await store().listForUser(user.id)).some((c) => c.usage === "first");
    },
    deleteForUser: (user: UserRecord) => store().deleteForUser(user.id),
    async stripFirstFactors(tx, user) {
      const txStore = tx.store(passkeyStore);
      const all = await txStore.listForUser(user.id);
      const removed = await txStore.deleteFirstFactors(user.id);
      return { removed, secondFactorLeft: all.some((c) => c.usage !== "first") };
    },
    keepAtConfirmation: isSignupBrowser,
  };
}
