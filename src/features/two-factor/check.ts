import { interruptTo, type SignInCheck } from "../../core/sign-in.js";
import { setUpFactors, startFactor } from "./factors.js";
import { hasValidityCookie, tfConfig, tfPendingSpec, TWO_FACTOR_CHECK } from "./state.js";

/**
 * Pipeline check "two-factor": a user with a second factor (or everyone, when required) is not signed in by
 * the first factor alone. The check interrupts with FS's payloads and its step; the pipeline keeps the attempt
 * pending, and /tf-validate, /mf-recovery or another feature's factor completes it with `pipeline.resume`, which
 * verifies the factor and runs every check again (this one then continues).
 */
export const twoFactorCheck: SignInCheck = {
  name: TWO_FACTOR_CHECK,
  pending: tfPendingSpec,
  async run(ctx, attempt) {
    const cfg = tfConfig(ctx.rt);
    if (!cfg.enabled || attempt.secondFactor || attempt.firstFactorIsMultiFactor) return { kind: "continue" };
    const { user } = attempt;
    const factors = await setUpFactors(ctx, user);
    if (factors.length === 0 && !cfg.required) return { kind: "continue" };
    if (factors.length > 0 && !cfg.alwaysValidate && hasValidityCookie(ctx, user)) return { kind: "continue" };
    // Per-request mechanisms (basic) and remember cookies cannot present a second factor: no session from them.
    // (A remember cookie issued by a sign-in that proved one carries that proof and passed above.)
    if (attempt.kind === "request" || attempt.authnVia.includes("remember"))
      return { kind: "deny", code: "TWO_FACTOR_PERMISSION_DENIED", field: "email", status: 401 };
    if (factors.length === 0) {
      return interruptTo({ tf_required: true, tf_state: "setup_from_login" }, ctx.rt.url(cfg.setupUrl), {
        pending: { state: "setup_from_login", method: null },
      });
    }
    if (factors.length > 1) {
      // FS 5.0: several second factors → the client picks one at /tf-select.
      return interruptTo({ tf_required: true, tf_select: true, tf_setup_methods: factors }, ctx.rt.url(cfg.selectUrl), {
        pending: { state: "select", method: null },
      });
    }
    const started = await startFactor(
      ctx,
      user,
      { remember: attempt.remember, authnVia: attempt.authnVia },
      factors[0]!,
    );
    return {
      kind: "interrupt",
      ...(started.status ? { status: started.status } : {}),
      response: started.response,
      ...(started.redirect ? { redirect: started.redirect } : {}),
      pending: started.step,
    };
  },
};
