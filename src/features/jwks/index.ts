import { z } from "zod";
import { defineRoute } from "../../core/define-route.js";
import type { Feature } from "../../core/feature.js";
import { ok } from "../../core/outcome.js";
import { hasTokenKeys, keyRingOf, publishedKeySet } from "../../core/tokens/keys.js";

/**
 * The public keys of JWT access tokens (`GET /.well-known/jwks.json`, RFC 7517), for services that verify
 * Rampart's tokens without calling it. Served when tokens are JWTs or keys are configured (published before a
 * switch to JWTs). The same for everyone and public, so shared caches may keep it for five minutes: a key is
 * therefore published as "next" at least that long before it signs.
 */
export const jwksFeature: Feature = {
  name: "jwks",
  enabled: (config) => config.token.format === "jwt" || hasTokenKeys(config),
  routes: (rt) => [
    defineRoute({
      id: "jwks",
      summary: "The public keys that verify JWT access tokens (JWK Set).",
      method: "GET",
      path: rt.config.token.jwt.jwksUrl,
      auth: "any",
      mechanisms: [],
      output: z.object({ keys: z.array(z.looseObject({ kid: z.string(), kty: z.string(), alg: z.string() })) }),
      bare: { contentType: "application/jwk-set+json" },
      async handle(ctx) {
        const ring = keyRingOf(ctx.rt.config);
        const set = ring ? publishedKeySet(ring, ctx.rt.now().getTime()) : { keys: [] };
        return ok(set, { headers: { "cache-control": "public, max-age=300" } });
      },
    }),
  ],
};
