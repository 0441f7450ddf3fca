import { RefusalError } from "../errors.js";

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

/**
 * Rampart's forms (with an app's extra registration fields) take a few dozen fields, each name once or a few
 * times. Bodies beyond these caps are refused (413 TOO_MANY_FIELDS) before any field is looked at: the body
 * limit alone allows far more (a 64 KiB "a&a&a…" holds 32,768 fields).
 */
export const MAX_FIELDS = 1000;
export const MAX_REPEATS = 100;

export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    throw new RefusalError("BODY_TOO_LARGE", 413);
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
      throw new RefusalError("BODY_TOO_LARGE", 413);
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
    throw new RefusalError("API_ERROR", 400);
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
      if (e instanceof RefusalError) throw e;
      throw new RefusalError("MALFORMED_JSON", 400);
    }
    // `null` is an empty form (its required fields get their messages), as Flask-Security reads it.
    if (value === null) return { kind: "json", fields: {} };
    if (typeof value !== "object" || Array.isArray(value)) throw new RefusalError("API_ERROR", 400);
    // A null-prototype copy: keys like "__proto__" stay plain data.
    const entries = Object.entries(value);
    if (entries.length > MAX_FIELDS) throw new RefusalError("TOO_MANY_FIELDS", 413);
    const fields: Record<string, unknown> = Object.create(null);
    for (const [k, v] of entries) fields[k] = v;
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
      throw new RefusalError("API_ERROR", 400);
    }
    const entries: [string, string][] = [];
    let parts = 0;
    for (const [k, v] of form.entries()) {
      // Files are ignored, but they count against the cap like any field.
      if (++parts > MAX_FIELDS) throw new RefusalError("TOO_MANY_FIELDS", 413);
      if (typeof v === "string") entries.push([k, v]);
    }
    return { kind: "form", fields: collect(entries[Symbol.iterator]()) };
  }
  // text/plain and friends: CORS-"simple" bodies are refused so cross-site JSON cannot ride on them.
  throw new RefusalError("UNSUPPORTED_MEDIA_TYPE", 415);
}

/**
 * Flat fields from form entries; a repeated name becomes a list. Linear in the number of entries (each value is
 * appended in place), and refused past MAX_FIELDS entries or MAX_REPEATS values for one name.
 */
function collect(entries: Iterable<[string, string]>): BodyFields {
  const fields: Record<string, string | string[]> = Object.create(null);
  let count = 0;
  for (const [k, v] of entries) {
    if (++count > MAX_FIELDS) throw new RefusalError("TOO_MANY_FIELDS", 413);
    const prev = fields[k];
    if (prev === undefined) fields[k] = v;
    else if (typeof prev === "string") fields[k] = [prev, v];
    else if (prev.length >= MAX_REPEATS) throw new RefusalError("TOO_MANY_FIELDS", 413);
    else prev.push(v);
  }
  return fields;
}
