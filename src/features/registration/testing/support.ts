/**
 * Test support for the registration and confirmation flows (not part of the build: `testing/` is excluded).
 */
import { createTestApp, type TestApp } from "../../../../test/helpers/app.js";
import type { TestClient, Reply } from "../../../../test/helpers/client.js";
import { linksIn, type ReceivedMail } from "../../../../test/helpers/smtp-sink.js";
import type { RampartOptions } from "../../../create-rampart.js";
import { confirmationFeature } from "../../confirmation/index.js";
import { registrationFeature } from "../index.js";

export const PASSWORD = "correct horse battery";

export type Dialect = "sqlite" | "postgres" | "mysql";

/** An app with registration (and, unless switched off, confirmation) on, mail going to the sink. */
export function flowApp(
  options: { dialect?: Dialect; config?: Record<string, unknown>; confirmation?: boolean; mail?: boolean } & Omit<
    Partial<RampartOptions>,
    "config" | "database"
  > = {},
): Promise<TestApp> {
  const { dialect, config = {}, confirmation = true, mail = true, features = [], ...rest } = options;
  const {
    registration,
    confirmation: confirmationConfig,
    ...core
  } = config as { registration?: object; confirmation?: object };
  return createTestApp({
    dialect: dialect ?? "sqlite",
    mail,
    ...rest,
    features: [registrationFeature, confirmationFeature, ...features],
    config: {
      ...core,
      registration: { enabled: true, ...registration },
      confirmation: { enabled: confirmation, ...confirmationConfig },
    },
  });
}

/** GET <path> as JSON for a CSRF token, then POST the JSON body with it, as an SPA does. */
export async function postJson(client: TestClient, path: string, body: unknown, query = ""): Promise<Reply> {
  const page = await client.get(path, { acceptJson: true });
  const csrf = page.json.response.csrf_token as string;
  return client.post(path + query, { json: body, headers: { "x-csrf-token": csrf } });
}

/** A JSON registration; `body` may be a raw JSON string (to send keys like "__proto__"). */
export function register(client: TestClient, body: Record<string, unknown> | string, query = ""): Promise<Reply> {
  return postJson(client, "/register", body, query);
}

export function registration(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { email, password: PASSWORD, password_confirm: PASSWORD, ...extra };
}

/** The path (and query) of the first link in the mail containing `fragment`, as a user would follow it. */
export function linkPath(mail: ReceivedMail, fragment = "/confirm/"): string {
  const link = linksIn(mail).find((l) => l.includes(fragment));
  if (!link) throw new Error(`no link containing ${fragment} in mail "${mail.subject}":\n${mail.text}`);
  const url = new URL(link);
  return url.pathname + url.search;
}

export const csrfFrom = (html: string): string => html.match(/name="csrf_token" value="([^"]+)"/)![1]!;

export function mailTo(app: TestApp, address: string, subject?: string): Promise<ReceivedMail> {
  return app.sink.waitFor((m) => m.envelopeTo.includes(address) && (subject === undefined || m.subject === subject));
}
