import type { ConfigSlice } from "./config/slice.js";
import type { RouteDef } from "./routes.js";
import type { Runtime } from "./runtime.js";
import type { SignInCheck } from "./sign-in.js";

/**
 * A feature declares what it contributes; the composition root (create-rampart.ts) wires it in.
 * Features never import each other: they meet only through the core (pipeline, events, routes).
 */
export interface Feature {
  name: string;
  /** The feature's own configuration keys (resolved at config[slice.key], read with sliceOf). */
  config?: ConfigSlice;
  /** Whether the feature is switched on by this configuration (e.g. REGISTERABLE). */
  enabled?(rt: Runtime): boolean;
  routes?(rt: Runtime): RouteDef[];
  signInChecks?(rt: Runtime): SignInCheck[];
}
