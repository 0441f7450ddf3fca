/**
 * Every built-in feature's registry (what each adds to the core's typed registries: events, hooked actions,
 * message keys, services, audit events, sign-in methods). Imported by the published "rampart/feature" entry so
 * an app's types see the built-in members too (the registries hold declarations only: nothing runs).
 */
import "./change-email/registry.js";
import "./change-password/registry.js";
import "./confirmation/registry.js";
import "./login/registry.js";
import "./passkeys/registry.js";
import "./profile/registry.js";
import "./recovery/registry.js";
import "./registration/registry.js";
import "./sessions/registry.js";
import "./two-factor/registry.js";
import "./unified-signin/registry.js";
import "./username/registry.js";
