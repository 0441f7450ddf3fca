import { RampartError } from "../errors.js";

/**
 * Reads a request body once, within a byte limit, into flat fields. JSON bodies must be objects; form bodies
 * (urlencoded or multipart) keep repeated names as arrays. Values are left as parsed: each endpoint's schema
 * decides what type a field must have (non-string where a string belongs → 400 API_ERROR).
 */
export type BodyFields = Readonly<Record<string, unknown>>;
export interface ParsedBody {
  kind: "json" | "form" | "empty";
  fields: BodyFields;
}

export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    throw new RampartError("BODY_TOO_LARGE", 413);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new RampartError("BODY_TOO_LARGE", 413);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decode(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new RampartError("API_ERROR", 400);
  }
}

export async function parseBody(request: Request, maxBytes: number): Promise<ParsedBody> {
  if (request.method === "GET" || request.method === "HEAD") return { kind: "empty", fields: {} };
  const contentType = request.headers.get("content-type");
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) return { kind: isJsonContentType(contentType) ? "json" : "empty", fields: {} };
  const mime = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (isJsonContentType(contentType)) {
    let value: unknown;
    try {
      value = JSON.parse(decode(bytes));
    } catch (e) {
      if (e instanceof RampartError) throw e;
      throw new RampartError("MALFORMED_JSON", 400);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new RampartError("API_ERROR", 400);
    // A null-prototype copy: keys like "__proto__" stay plain data.
    const fields: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) fields[k] = v;
    return { kind: "json", fields };
  }
  if (mime === "application/x-www-form-urlencoded") {
    return { kind: "form", fields: collect(new URLSearchParams(decode(bytes)).entries()) };
  }
  if (mime === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": contentType! } }).formData();
    } catch {
      throw new RampartError("API_ERROR", 400);
    }
    const entries: [string, string][] = [];
    for (const [k, v] of form.entries()) if (typeof v === "string") entries.push([k, v]);
    return { kind: "form", fields: collect(entries[Symbol.iterator]()) };
  }
  // text/plain and friends: CORS-"simple" bodies are refused so cross-site JSON cannot ride on them.
  throw new RampartError("UNSUPPORTED_MEDIA_TYPE", 415);
}

function collect(entries: Iterable<[string, string]>): BodyFields {
  const fields: Record<string, unknown> = Object.create(null);
  for (const [k, v] of entries) {
    const prev = fields[k];
    if (prev === undefined) fields[k] = v;
    else fields[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return fields;
}
