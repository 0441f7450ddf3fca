import { z } from "zod";
import type { RequestContext } from "./context.js";
import { RampartError } from "./errors.js";

/**
 * Field schemas shared by endpoints. Bodies are parsed (never cast): a value of the wrong type — an object
 * or list where a string belongs — is refused with 400 "Input not appropriate for requested API".
 * Unknown fields are ignored, as in Flask-Security.
 */
export const str = (max = 4096) => z.string().max(max).optional();

/** JSON true/false, or the form spellings browsers and FS clients send. */
export const flag = z
  .union([z.boolean(), z.enum(["true", "false", "on", "off", "1", "0", "y", "n", "yes", "no", ""])])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === true || v === "true" || v === "on" || v === "1" || v === "y" || v === "yes"));

export async function readInput<S extends z.ZodRawShape>(ctx: RequestContext, shape: S): Promise<z.output<z.ZodObject<S>>> {
  const body = await ctx.body();
  const parsed = z.object(shape).safeParse({ ...body.fields });
  if (!parsed.success) throw new RampartError("API_ERROR", 400);
  return parsed.data;
}
