import { z } from "zod";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { safeNext } from "../../kit/http/redirects.js";
import type { PageProps } from "../../core/render.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { flag, text } from "../../core/input.js";
import { formErrors, ok } from "../../core/outcome.js";
import { csrfToken, signedIn, userJson } from "../../kit/schemas.js";
import { identityAttributes } from "../../core/users.js";
import { passwordCredential, verifyCredential } from "../../core/verify-credential.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { pageExtras } from "../../core/page-extras.js";
import { loginPage } from "./pages.js";

/**
 * GET/POST /login: password sign-in. The password is always hashed (a dummy hash for unknown users) so
 * timing does not tell whether an account exists; status checks (active, confirmed, locked…) run in the
 * sign-in pipeline only after the password verified. With generic responses on (the default) every
 * failure reads the same.
 */
const loginInput = z.object({ email: text(), username: text(), password: text(), remember: flag, next: text() });

/** What the login page shows again after a refusal. */
interface LoginView {
  identity: string;
  next: string | null;
  remember: boolean;
}

async function page(ctx: RequestContext, props: PageProps<unknown, LoginView>): Promise<string> {
  const next = props.view?.next ?? safeNext(ctx, ctx.url.searchParams.get("next"));
  const extras = await pageExtras(ctx, "signin", { csrfToken: props.csrfToken, next, user: null });
  return loginPage(ctx, {
    extras,
    csrfToken: props.csrfToken,
    identity: props.view?.identity,
    next,
    remember: props.view?.remember,
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

export const getLoginRoute = (path: string) =>
  defineRoute({
    id: "login.form",
    summary: "The sign-in form: which identity attributes it takes, and a CSRF token (plus the user when signed in).",
    method: "GET",
    path,
    auth: "any",
    output: z.object({ identity_attributes: z.array(z.string()), csrf_token: csrfToken, user: userJson.optional() }),
    page,
    async handle(ctx, { caller }) {
      const { rt } = ctx;
      const payload = {
        identity_attributes: identityAttributes(rt),
        ...(caller ? { user: await rt.serializeUser(caller.user) } : {}),
      };
      // A signed-in browser has nothing to do here.
      return ok(payload, { csrf: true, ...(caller ? { browser: { redirect: rt.config.urls.postLoginView } } : {}) });
    },
  });

export function looksLikeEmail(value: string): boolean {
  // Syntax only (login never needs deliverability): one @, non-empty parts, no spaces or controls.
  return /^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/.test(value) && value.length <= 320;
}

export const postLoginRoute = (path: string) =>
  defineRoute({
    id: "login",
    summary: "Sign in with an email (or username) and password.",
    method: "POST",
    path,
    auth: "anonymous-only",
    // 429: the account waits or is locked (the lockout), or its source is over its limit; the credential was not
    // judged. Or the second-factor code the sign-in sends is over its send limit.
    limits: ["credential", "send"],
    input: loginInput,
    output: signedIn,
    page,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const remember = input.remember ?? rt.config.defaultRememberMe;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const identityField =
        rt.config.username.enable && input.username !== undefined && !input.email ? "username" : "email";
      const identity = (identityField === "username" ? input.username : input.email)?.trim() ?? "";
      const view: LoginView = { identity, next: safeNext(ctx, rawNext), remember };

      const shapeErrors: FieldErrors = {};
      if (rawNext && !view.next) shapeErrors.next = [{ code: "INVALID_REDIRECT" }];
      if (!identity)
        shapeErrors[identityField] = [
          { code: identityField === "email" ? "EMAIL_NOT_PROVIDED" : "USERNAME_NOT_PROVIDED" },
        ];
      else if (identityField === "email" && !looksLikeEmail(identity))
        shapeErrors.email = [{ code: "INVALID_EMAIL_ADDRESS" }];
      if (!input.password) shapeErrors.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
      if (Object.keys(shapeErrors).length) return formErrors(shapeErrors, { view });
      const password = input.password!;

      const users = rt.datastore.users;
      // A username far longer than any stored one can name nobody: no lookup (it answers as an unknown user).
      const impossible = identityField === "username" && identity.length > rt.config.username.maxLength * 8;
      const user = impossible
        ? null
        : identityField === "username"
          ? await users.findByUsername(identity.normalize("NFKD"))
          : await users.findByEmail(identity);
      const veto = await hookVeto(ctx, "login", user, view);
      if (veto) return veto;

      const checked = await verifyCredential(ctx, user, {
        kind: "password",
        audit: "login",
        identity,
        ...passwordCredential(ctx, password),
      });
      if (!checked.ok) {
        // The account (or this identity) waits or is locked: the guess was not judged.
        if (checked.reason === "BUDGET_SPENT") return tooManyAttempts(checked, "LOCKED_OUT", { page: true, view });
        const [field, code] =
          checked.reason === "USER_DOES_NOT_EXIST"
            ? [identityField, "USER_DOES_NOT_EXIST" as const]
            : ["password", "INVALID_PASSWORD" as const];
        return formErrors(
          rt.config.returnGenericResponses ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { [field]: [{ code }] },
          { view },
        );
      }
      if (checked.needsRehash) await rehash(ctx, checked.user, password);

      const result = await rt.pipeline.signIn(ctx, {
        user: checked.user,
        authnVia: ["password"],
        remember,
        kind: "session",
        includeAuthToken: ctx.includeAuthToken(),
      });
      return completeSignIn(ctx, result, {
        action: "login",
        generic: true,
        identityField,
        next: view.next,
        extra: { tf_required: false },
        view,
      });
    },
  });

/** Transparent upgrade of an old or weaker hash after a successful verify (compare-and-set, never on failure). */
async function rehash(ctx: RequestContext, user: UserRecord, password: string): Promise<void> {
  const { rt } = ctx;
  const old = user.password!;
  try {
    const next = await rt.hasher.hash(password);
    if (await rt.datastore.users.replacePasswordHash(user.id, old, next)) {
      user.password = next;
      await rt.events.emit("password_rehashed", { user, from: old.split("$")[1] ?? "unknown" });
    }
  } catch (error) {
    rt.logger.warn(`password rehash skipped for user ${user.id}: ${(error as Error).message}`);
  }
}
