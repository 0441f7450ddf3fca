import type { RequestContext } from "./context.js";
import type { PageSlot, PageSlotInput } from "./services.js";
import { html, type SafeHtml } from "../pages/kit.js";

/**
 * The blocks features add to a page's slot (services.pageExtras), in feature order, ready to place after the
 * page's own form. Empty when no feature adds one.
 */
export async function pageExtras(ctx: RequestContext, slot: PageSlot, input: PageSlotInput): Promise<SafeHtml> {
  const extras = (ctx.rt.services.pageExtras ?? []).filter((e) => e.slot === slot);
  const blocks = await Promise.all(extras.map((e) => e.render(ctx, input)));
  return html`${blocks.filter((b): b is SafeHtml => b !== null)}`;
}
