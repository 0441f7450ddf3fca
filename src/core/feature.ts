import type { ConfigSlice } from "./config/slice.js";
import type { RampartConfig } from "./config/index.js";
import type { RouteDef } from "./routes.js";
import type { Services } from "./services.js";
import type { MailTemplate } from "../mail/types.js";
import type { Runtime } from "./runtime.js";
import type { SignInCheck } from "./sign-in.js";
import type { FeatureMigration } from "../datastore/feature-migrations.js";
import type { EventName, RampartEvents } from "./events.js";

/**
 * A feature declares what it contributes; the composition root (create-rampart.ts) wires it in.
 * Features never import each other: they meet only through the core (pipeline, events, routes).
 */
export interface Feature {
  name: string;
  /** The feature's own configuration keys (resolved at config[slice.key], read with sliceOf). */
  config?: ConfigSlice;
  /** Whether the feature is switched on by this configuration (e.g. REGISTERABLE). */
  enabled?(config: RampartConfig): boolean;
  /** Default mail templates by FS name (apps override them through `mailTemplates`). */
  emails?: Record<string, MailTemplate<any>>;
  /** The feature's message texts by key (declared in its registry.ts so `MessageKey` includes them). */
  messages?: Record<string, string>;
  /**
   * Migrations of the feature's own tables, by `NNNN_name`; recorded as `<feature name>/NNNN_name` in Rampart's
   * migration table and run with Rampart's own (`rampart migrate`, `migrations: "auto"`), each once. Declared
   * features' migrations run whether the feature is switched on or not, so switching it on never needs a
   * migration step; a feature dropped later leaves its tables. Its store (datastore/kit.ts `defineStore`) is
   * reached with `rt.datastore.store(def)`.
   */
  migrations?: Record<string, FeatureMigration>;
  /** What this feature offers other features through the core. */
  provides?(rt: Runtime): Partial<Services>;
  routes?(rt: Runtime): RouteDef[];
  signInChecks?(rt: Runtime): SignInCheck[];
  /** Listeners the feature adds to the event bus when composed (an app's feature reacting to built-in events). */
  listeners?(rt: Runtime): EventListeners;
}

/** At most one listener per event name. */
export type EventListeners = { [K in EventName]?: (payload: RampartEvents[K]) => void | Promise<void> };

/**
 * The part of a feature an app can write today (exported from "rampart" as `Feature`): a name, a switch, and
 * sign-in checks that see the attempt. Routes, services and config slices need internals not published yet.
 */
export type AppFeature = Pick<Feature, "name" | "enabled" | "signInChecks">;
