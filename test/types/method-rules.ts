/**
 * Type-level checks of per-method rules. Never run: test/types/types.test.ts typechecks this file with tsc, and
 * every `@ts-expect-error` line must really be an error.
 */
import type { MethodRules } from "../../src/index.js";

const admin = { rolesRequired: ["admin"] };

export const publicReads: MethodRules = { GET: "public", HEAD: "public", default: {} };
export const stricterHead: MethodRules = { GET: "public", HEAD: admin, default: {} };
export const headFollowsGet: MethodRules = { GET: admin, default: {} };

// @ts-expect-error HEAD runs the GET handler: a public HEAD next to a guarded GET would skip GET's guard
export const publicHeadGuardedGet: MethodRules = { GET: admin, HEAD: "public", default: {} };
// @ts-expect-error the same when GET falls back to `default`
export const publicHeadDefaultGet: MethodRules = { HEAD: "public", default: {} };
// @ts-expect-error an unsafe method is never public
export const publicPost: MethodRules = { POST: "public", default: {} };
