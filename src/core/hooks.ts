import type { UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import type { HookedAction, HookVeto } from "./events.js";
import type { FieldErrors } from "./http/respond.js";

/** Runs the app's `before` hook for an action; a veto becomes an error response in the contract's shape. */
export async function runBeforeHook(ctx: RequestContext, action: HookedAction, user: UserRecord | null): Promise<HookVeto | null> {
  const hook = ctx.rt.hooks.before?.[action];
  if (!hook) return null;
  const veto = await hook({ action, request: ctx.request, user });
  return veto ?? null;
}

export async function runAfterHook(ctx: RequestContext, action: HookedAction, user: UserRecord | null): Promise<void> {
  const hook = ctx.rt.hooks.after?.[action];
  if (!hook) return;
  try {
    await hook({ action, request: ctx.request, user });
  } catch (error) {
    ctx.rt.logger.error(`after-hook for ${action} failed`, error);
  }
}

export function vetoErrors(veto: HookVeto): FieldErrors {
  return { [veto.field ?? ""]: [{ code: veto.code ?? "HOOK_VETO", text: veto.message }] };
}
