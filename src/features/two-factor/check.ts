import { interruptTo, type SignInCheck } from "../../core/sign-in.js";
import { setUpFactors, startFactor } from "./factors.js";
import { hasValidityCookie, setPending, tfConfig } from "./state.js";

/**
 * Pipeline check "two-factor": a user with a second factor (or everyone, when required) is not signed in by
 * the first factor alone. The check sets the pending cookie and interrupts with FS's payloads; /tf-validate
 * (or a plugin factor, or /mf-recovery) completes the sign-in through the pipeline again with `secondFactor`
 * set, so every other check reruns.
 */
export const twoFactorCheck: SignInCheck = {
  name: "two-factor",
  async run(ctx, attempt) {
    const cfg = tfConfig(ctx.rt);
    if (!cfg.enabled || attempt.secondFactor || attempt.firstFactorIsMultiFactor) return { kind: "continue" };
    const { user } = attempt;
    const factors = await setUpFactors(ctx, user);
    if (factors.length === 0 && !cfg.required) return { kind: "continue" };
    if (factors.length > 0 && !cfg.alwaysValidate && hasValidityCookie(ctx, user)) return { kind: "continue" };
    // Per-request mechanisms (basic) and remember cookies cannot present a second factor: no session from them.
    // (A remember cookie issued by a sign-in that proved one carries it as `secondFactor` and passed above.)
    if (attempt.kind === "request" || attempt.authnVia.includes("remember"))
      return { kind: "deny", code: "TWO_FACTOR_PERMISSION_DENIED", field: "email", status: 401 };
    const base = { u: user.fsUniquifier, r: attempt.remember, v: [...attempt.authnVia] };
    if (factors.length === 0) {
      setPending(ctx, { ...base, s: "setup_from_login", m: null });
      return interruptTo({ tf_required: true, tf_state: "setup_from_login" }, ctx.rt.url(cfg.setupUrl));
    }
    if (factors.length > 1) {
      // FS 5.0: several second factors → the client picks one at /tf-select.
      setPending(ctx, { ...base, s: "select", m: null });
      return interruptTo({ tf_required: true, tf_select: true, tf_setup_methods: factors }, ctx.rt.url(cfg.selectUrl));
    }
    const started = await startFactor(ctx, user, base, factors[0]!);
    if (started.redirect) return interruptTo(started.response, started.redirect, started.status);
    return { kind: "interrupt", ...(started.status ? { status: started.status } : {}), response: started.response };
  },
};
