import type { Runtime } from "../../core/runtime.js";
import type { Services } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { usableFor } from "./ceremony.js";
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
    async deleteFirstFactors(user: UserRecord) {
      let deleted = 0;
      for (const c of await store().listForUser(user.id))
        if (c.usage === "first" && (await store().deleteByName(user.id, c.name))) deleted++;
      return deleted;
    },
  };
}
