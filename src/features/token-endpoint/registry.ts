import type { tokenEndpointMessages } from "./messages.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof tokenEndpointMessages, true> {}
}
