/**
 * Checks live answers against Rampart's own /openapi.json: each JSON answer a test client receives is
 * validated against the schema the document gives for its method, path and status.
 */
import Ajv2020 from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import type { Fetcher } from "./client.js";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: unknown;
};

export interface Recorded {
  method: string;
  path: string;
  status: number;
  /** The media type the answer was sent as (application/json, or a JSON type such as application/jwk-set+json). */
  contentType: string;
  body: unknown;
}

/** A fetcher that keeps every JSON answer (envelope included, any JSON media type) for later validation. */
export function recording(fetcher: Fetcher, into: Recorded[]): Fetcher {
  return async (request) => {
    const response = await fetcher(request);
    const contentType = response.headers.get("content-type")?.split(";")[0]!.trim() ?? "";
    if (/^application\/([\w.-]+\+)?json$/.test(contentType)) {
      const body = await response.clone().json();
      const path = new URL(request.url).pathname;
      into.push({ method: request.method, path, status: response.status, contentType, body });
    }
    return response;
  };
}

export function documentValidator(doc: Doc) {
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    regex: new RegExp("^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "$"),
  }));
  const compiled = new Map<string, ValidateFunction>();

  /** The problems of one answer (empty: it matches the document). */
  return function problems(r: Recorded): string[] {
    const found = templates.find((t) => t.regex.test(r.path));
    if (!found) return [`${r.method} ${r.path}: not in the document`];
    const op = doc.paths[found.template]![r.method.toLowerCase()];
    if (!op) return [`${r.method} ${found.template}: method not in the document`];
    const response = op.responses[String(r.status)];
    if (!response) return [`${r.method} ${found.template}: status ${r.status} not documented`];
    const schema = response.content?.[r.contentType]?.schema;
    if (!schema) return [`${r.method} ${found.template} ${r.status}: no schema for ${r.contentType}`];
    const key = `${r.method} ${found.template} ${r.status}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile({ ...(schema as object), components: doc.components });
      compiled.set(key, validate);
    }
    return validate(r.body)
      ? []
      : [`${key}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(r.body).slice(0, 400)}`];
  };
}
