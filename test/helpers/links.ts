import assert from "node:assert/strict";
import type { Reply, TestClient } from "./client.js";

/**
 * Emailed sign-in links (magic link, confirmation with auto-login) answer their GET with a page whose button
 * POSTs the link (unless `urls.signInLinksOnGet`). These helpers read that page and click the button.
 */
export function landingForm(r: Reply): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)" id="link-landing-form">/.exec(r.body);
  assert.ok(action, `a landing form in: ${r.body.slice(0, 400)}`);
  const fields = Object.fromEntries(
    [...r.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]),
  );
  return { action: unescape(action[1]!), fields };
}

function unescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Opens a link as a browser user does: the GET, then — when it shows the landing page — its button. */
export async function openLink(c: TestClient, path: string): Promise<Reply> {
  const page = await c.get(path);
  if (page.status !== 200 || !page.body.includes('id="link-landing-form"')) return page;
  const { action, fields } = landingForm(page);
  return c.post(action, { form: fields });
}
