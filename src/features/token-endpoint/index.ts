import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import { tokenEndpointSlice } from "./config.js";
import { getTokenRoute, postTokenRoute } from "./token.js";

/** Token endpoint (Rampart addition, like Flask-AuthOOB's GET /token): a new access token for a signed-in caller. */
export const tokenEndpointFeature: Feature = {
  name: "token-endpoint",
  config: tokenEndpointSlice,
  enabled: (config) => sliceOf(config, tokenEndpointSlice).enable,
  routes(rt) {
    const { url } = sliceOf(rt.config, tokenEndpointSlice);
    return [getTokenRoute(url), postTokenRoute(url)];
  },
};

export { tokenEndpointSlice, type TokenEndpointConfig } from "./config.js";
