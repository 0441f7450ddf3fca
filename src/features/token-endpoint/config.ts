import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";

/** The token endpoint (a Rampart addition, like Flask-AuthOOB's GET /token), resolved at `config.tokenEndpoint`. */
const schema = z.strictObject({
  enable: key(z.boolean().default(false), {
    env: "RAMPART_TOKEN_ENDPOINT_ENABLE",
    doc: "Serve the token endpoint: a signed-in caller gets a new access token that ends no later than its session or token.",
  }),
  url: key(z.string().startsWith("/").default("/token"), {
    env: "RAMPART_TOKEN_URL",
    doc: "Token endpoint: GET for token and basic callers, POST (with CSRF) for session callers.",
  }),
});

export type TokenEndpointConfig = z.output<typeof schema>;

export const tokenEndpointSlice = defineSlice({ key: "tokenEndpoint", schema });

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    tokenEndpoint: typeof tokenEndpointSlice;
  }
}
