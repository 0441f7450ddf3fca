import { z } from "zod";
import type { ConfigIssue } from "../errors.js";
import { key } from "./declare.js";

/** Response headers Rampart adds to every answer (its own and the app's guarded routes). */
export const headersSlice = z
  .strictObject({
    hsts: key(z.boolean().nullable().default(null), {
      env: "RAMPART_HSTS",
      doc: "Strict-Transport-Security on every answer: null (default) when RAMPART_BASE_URL, else the request, is https; true always (TLS ended by a proxy and no base URL); false never.",
    }),
    hstsMaxAgeSeconds: key(z.number().int().min(0).default(31_536_000), {
      env: "RAMPART_HSTS_MAX_AGE",
      doc: "max-age of Strict-Transport-Security (with includeSubDomains).",
    }),
  })
  .prefault({});

/**
 * Cross-origin requests from single-page apps served elsewhere: only the listed origins, each echoed exactly
 * (never a wildcard together with credentials).
 */
export const corsSlice = z
  .strictObject({
    allowedOrigins: key(z.array(z.string()).default([]), {
      env: "CORS_ALLOWED_ORIGINS",
      doc: 'Origins (https://spa.example) whose scripts may call Rampart\'s routes and the guarded app routes; each is echoed exactly in Access-Control-Allow-Origin with Vary: Origin, and passes the cross-site Origin check (a CSRF token is still required). Default none. "*" only with CORS_ALLOW_CREDENTIALS off.',
    }),
    allowCredentials: key(z.boolean().default(true), {
      env: "CORS_ALLOW_CREDENTIALS",
      doc: "Send Access-Control-Allow-Credentials: true to allowed origins (cookies and auth headers on cross-origin calls).",
    }),
    maxAgeSeconds: key(z.number().int().min(0).default(600), {
      env: "CORS_MAX_AGE",
      doc: "How long browsers may cache a preflight answer (Access-Control-Max-Age).",
    }),
  })
  .prefault({});

/** Each allowed origin must be an exact origin; "*" is refused together with credentials, "null" always. */
export function corsIssues(cors: z.output<typeof corsSlice>, keyName: (path: string) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const origin of cors.allowedOrigins) {
    if (origin === "*") {
      if (cors.allowCredentials)
        issues.push({
          key: keyName("cors.allowedOrigins"),
          message: '"*" cannot be combined with credentials (CORS_ALLOW_CREDENTIALS): list the exact origins',
        });
      continue;
    }
    let exact = false;
    try {
      const url = new URL(origin);
      exact = url.origin === origin && (url.protocol === "https:" || url.protocol === "http:");
    } catch {
      exact = false;
    }
    if (!exact)
      issues.push({
        key: keyName("cors.allowedOrigins"),
        message: `"${origin}" is not an origin like https://spa.example (scheme and host, no path or trailing slash)`,
      });
  }
  return issues;
}
