import { z } from "zod";
import type { RequestContext } from "./context.js";
import { RefusalError } from "./errors.js";
import type { FieldErrors } from "./http/respond.js";
import type { MessageKey } from "./messages.js";

/**
 * Field schemas shared by endpoints. Bodies are parsed (never cast): a value of the wrong type — an object
 * or list where a string belongs — is refused with 400 "Input not appropriate for requested API", as
 * Flask-Security's IsString validator does. Unknown fields are ignored, as in Flask-Security.
 *
 * Length is not a type error: an over-long value gets the field's own message under `field_errors`.
 */

/**
 * A short machine-made field (a method name, a code, an id) of at most `max` characters; a longer value
 * answers `tooLong` on that field — the message the field gives for any value it does not accept.
 */
export const str = (max: number, tooLong: MessageKey) => z.string().max(max, { error: tooLong }).optional();

/**
 * A field people type (email, username, password, next): any length is read (the body limit bounds it), and
 * the endpoint's own rules judge it, so an over-long value gets the same message as any other bad one and
 * forms re-render as usual.
 */
export const text = () => z.string().optional();

/** JSON true/false, or the form spellings browsers and FS clients send. */
export const flag = z
  .union([z.boolean(), z.enum(["true", "false", "on", "off", "1", "0", "y", "n", "yes", "no", ""])])
  .optional()
  .transform((v) =>
    v === undefined ? undefined : v === true || v === "true" || v === "on" || v === "1" || v === "y" || v === "yes",
  );

/** Refusal of fields that break their own rules (too long, a custom rule): answered in the contract's form-error shape (400). */
export class FieldLengthError extends RefusalError {
  readonly fieldErrors: FieldErrors;
  constructor(fieldErrors: FieldErrors) {
    super(Object.values(fieldErrors)[0]![0]!.code as MessageKey, 400);
    this.fieldErrors = fieldErrors;
  }
}
