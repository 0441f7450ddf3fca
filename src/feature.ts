/**
 * rampart/feature — what an app writes its own feature with (experimental: see docs/features/writing-a-feature.md).
 *
 * A feature made here goes through the same machinery as Rampart's built-in ones: its routes are enforced
 * (auth, freshness, CSRF), parsed and rendered by the same runner and appear in /openapi.json; its config keys
 * are checked strictly at startup; its sign-in checks run for every way of signing in.
 *
 * ```ts
 * import { defineFeature, defineRoute, ok } from "rampart/feature";
 * const hello = defineFeature({ name: "hello", routes: () => [defineRoute({ id: "hello", … })] });
 * await createRampart({ config, features: [hello] });
 * ```
 */
import "./features/registries.js";

export {
  defineFeature,
  defineRoute,
  defineSignedValue,
  type DefinedFeature,
  type FeatureSpec,
  type FeatureSignInCheck,
  type Route,
  type RouteCaller,
  type RouteCallerFor,
  type RouteContext,
  type RouteSpec,
  type SignedValue,
  type SignInAttemptView,
} from "./feature/define.js";
export {
  defineStore,
  type FeatureStore,
  type StoreKit,
  type FeatureMigration,
  type MigrationTools,
} from "./feature/store.js";
export type { PendingStep, PendingSignInView, ResumeSignIn, ResumedSignIn } from "./feature/sign-in-step.js";
export type { SqlDialect } from "./datastore/kysely/schema.js";
export {
  defineSlice as defineConfig,
  key as configKey,
  type ConfigSlice,
  type KeyMeta,
  type RampartConfigSlices,
  type RampartConfig,
} from "./core/config/index.js";
export {
  ok,
  formErrors,
  fieldError,
  refused,
  interrupted,
  redirect,
  type Outcome,
  type Ok,
  type FormErrors,
  type Refused,
  type Interrupted,
  type Redirect,
  type JsonPayload,
  type BrowserAnswer,
} from "./core/outcome.js";
export type { Opened } from "./core/codec.js";
export type { PageProps } from "./core/render.js";
export type { FieldErrors, MessageRef } from "./core/http/respond.js";
export type { CheckOutcome } from "./core/sign-in.js";
export type { RouteAuth } from "./core/enforce.js";
export type { Mechanism } from "./core/identity.js";
export type { MessageCatalog, MessageKey } from "./core/messages.js";
export type { AuditEvents, AuditEvent, AuditEntry } from "./core/audit.js";
export type { AuthnMethods, AuthnMethod, SecondFactorMethods, SecondFactorMethod } from "./core/methods.js";
export type { RampartEvents, EventName } from "./core/events.js";
export type { EventListeners } from "./core/feature.js";
export type { PublicUser, RegisteredUserFields } from "./core/public-user.js";
export { html, layout, form, escapeHtml, SafeHtml, type Flash, type FieldSpec } from "./pages/kit.js";
