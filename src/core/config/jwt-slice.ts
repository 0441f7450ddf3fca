import { z } from "zod";
import type { ConfigIssue } from "../errors.js";
import { key } from "./declare.js";

/**
 * JWT access tokens (`token.format` "jwt"): who signs them (iss), for whom (aud), with which algorithm and keys,
 * and how long they live. Other services verify them with the published key set alone, so a revoked refresh family's
 * JWT still works for them until its `exp`: `maxAgeSeconds` is that window, kept short.
 */
const jwkMember = z.looseObject({ kid: z.string().min(1), alg: z.string().min(1), status: z.string() });
export const keySetSchema = z.looseObject({ keys: z.array(jwkMember) });

export const jwtAlgorithms = ["EdDSA", "ES256"] as const;

export const jwtSlice = z
  .strictObject({
    issuer: key(z.string().min(1).nullable().default(null), {
      env: "RAMPART_JWT_ISSUER",
      doc: "The `iss` of JWT access tokens (default RAMPART_BASE_URL); required with TOKEN_FORMAT=jwt.",
    }),
    audience: key(z.array(z.string().min(1)).default([]), {
      env: "RAMPART_JWT_AUDIENCE",
      doc: "The `aud` of JWT access tokens: one or more names of the services that accept them; required with TOKEN_FORMAT=jwt.",
    }),
    algorithm: key(z.enum(jwtAlgorithms).default("EdDSA"), {
      env: "RAMPART_JWT_ALGORITHM",
      doc: "Signing algorithm of new JWT keys and of the active key (EdDSA or ES256).",
    }),
    maxAgeSeconds: key(
      z
        .number()
        .int()
        .positive()
        .default(5 * 60),
      {
        env: "RAMPART_JWT_MAX_AGE",
        doc: "JWT access token lifetime: also how long another service still accepts a JWT whose refresh family was revoked (keep it short).",
      },
    ),
    keysFile: key(z.string().min(1).nullable().default(null), {
      env: "RAMPART_JWT_KEYS_FILE",
      doc: "Path of the JSON key set (written by `rampart keys`): one active key signs, next, active and retiring keys are published.",
    }),
    keys: key(keySetSchema.nullable().default(null), {
      env: "RAMPART_JWT_KEYS",
      doc: 'The key set inline (JSON `{"keys":[…]}`), instead of RAMPART_JWT_KEYS_FILE.',
    }),
    includeRoles: key(z.boolean().default(false), {
      env: "RAMPART_JWT_INCLUDE_ROLES",
      doc: "Put the user's role names in a `roles` claim.",
    }),
    jwksUrl: key(z.string().startsWith("/").default("/.well-known/jwks.json"), {
      env: "RAMPART_JWKS_URL",
      doc: "Where the public key set is served (below SECURITY_URL_PREFIX like every Rampart route).",
    }),
  })
  .prefault({});

type TokenConfig = { format: "opaque" | "jwt"; jwt: z.output<typeof jwtSlice> };

/** Cross-key checks of the JWT settings (the key set itself is checked when it is loaded: tokens/keys.ts). */
export function jwtIssues(
  token: TokenConfig,
  baseUrl: string | undefined,
  keyName: (path: string) => string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const jwt = token.jwt;
  if (jwt.keys && jwt.keysFile)
    issues.push({ key: keyName("token.jwt.keys"), message: "give the key set either inline or as a file, not both" });
  if (token.format !== "jwt") return issues;
  if (!jwt.issuer && !baseUrl)
    issues.push({
      key: keyName("token.jwt.issuer"),
      message: "is required with TOKEN_FORMAT=jwt (or set RAMPART_BASE_URL)",
    });
  if (!jwt.audience.length)
    issues.push({ key: keyName("token.jwt.audience"), message: "is required with TOKEN_FORMAT=jwt" });
  if (!jwt.keys && !jwt.keysFile)
    issues.push({
      key: keyName("token.jwt.keysFile"),
      message: "TOKEN_FORMAT=jwt needs a key set (create one with: rampart keys generate --file F)",
    });
  return issues;
}
