import type { UserRecord } from "../datastore/contracts.js";
import { attachRemoteAddress, remoteAddress, type RequestContext } from "./context.js";
import { csrfHeaderNames } from "./csrf.js";
import type { HookedAction, HookInput, HookVeto } from "./events.js";
import { isJsonContentType } from "./http/body.js";
import type { FieldErrors } from "./http/respond.js";
import { publicUser } from "./public-user.js";

/**
 * Hooks get what was submitted as parsed fields (`input`) and a Request whose body can still be read (Rampart
 * has consumed the original). Neither carries passwords, one-time codes, link tokens, the CSRF token, cookies or
 * credential headers: a hook that logs its input must not log credentials. The user is the public view, never
 * the row.
 */
const SECRET_FIELDS = new Set([
  "password",
  "password_confirm",
  "new_password",
  "new_password_confirm",
  "code",
  "passcode",
  "token",
  "csrf_token",
]);

/** Request headers that carry credentials (session and remember cookies, basic auth, tokens, CSRF tokens). */
function secretHeaders(ctx: RequestContext): string[] {
  const { config } = ctx.rt;
  return ["cookie", "authorization", ...csrfHeaderNames(config), config.token.header.toLowerCase()];
}

async function hookInput(ctx: RequestContext, action: HookedAction, user: UserRecord | null): Promise<HookInput> {
  const { request } = ctx;
  const input: Record<string, unknown> = {};
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  // A body the route itself never needed (an unsupported type on /logout…) gives the hook no input, not an error.
  const fields = hasBody
    ? await ctx.body().then(
        (b) => b.fields,
        () => ({}),
      )
    : {};
  if (hasBody) {
    for (const [name, value] of Object.entries(fields)) {
      if (!SECRET_FIELDS.has(name) && name !== ctx.rt.config.token.key)
        Object.defineProperty(input, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  const headers = new Headers(request.headers);
  for (const h of secretHeaders(ctx)) headers.delete(h);
  let body: string | null = null;
  if (hasBody) {
    for (const h of ["content-length", "content-encoding", "transfer-encoding"]) headers.delete(h);
    if (isJsonContentType(headers.get("content-type"))) body = JSON.stringify(input);
    else {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(input))
        for (const v of [value].flat()) if (typeof v === "string") params.append(name, v);
      body = params.toString();
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
  }
  const copy = attachRemoteAddress(
    new Request(request.url, { method: request.method, headers, body }),
    remoteAddress(request),
  );
  return { action, request: copy, input, user: user ? publicUser(user, ctx.rt.userFields) : null };
}

/**
 * Runs the app's `before` hook for an action; the caller answers a veto in the contract's shape with the
 * veto's status. HTML pages show the veto above the form (a page may not render the field the hook named).
 */
export async function runBeforeHook(
  ctx: RequestContext,
  action: HookedAction,
  user: UserRecord | null,
): Promise<HookVeto | null> {
  const hook = ctx.rt.hooks.before?.[action];
  if (!hook) return null;
  const veto = await hook(await hookInput(ctx, action, user));
  if (!veto) return null;
  return ctx.wantsJson ? veto : { ...veto, field: "" };
}

/**
 * Automatic sign-ins (after registration, confirmation or a reset) pass the app's `before.login` hook as /login
 * does. A veto means nobody is signed in; the committed action still stands and is answered as done.
 */
export async function autoSignInVetoed(ctx: RequestContext, user: UserRecord): Promise<boolean> {
  return (await runBeforeHook(ctx, "login", user)) !== null;
}

export async function runAfterHook(ctx: RequestContext, action: HookedAction, user: UserRecord | null): Promise<void> {
  const hook = ctx.rt.hooks.after?.[action];
  if (!hook) return;
  try {
    await hook(await hookInput(ctx, action, user));
  } catch (error) {
    ctx.rt.logger.error(`after-hook for ${action} failed`, error);
  }
}

/** A veto as field errors; its status (default 400) travels with it so every JSON answer keeps it. */
export function vetoErrors(veto: HookVeto): FieldErrors {
  return {
    [veto.field ?? ""]: [
      { code: veto.code ?? "HOOK_VETO", text: veto.message, ...(veto.status ? { status: veto.status } : {}) },
    ],
  };
}
