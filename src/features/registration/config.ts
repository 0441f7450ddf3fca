import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/** Registration (FS REGISTERABLE) settings, resolved at `config.registration`. */
export const registrationSlice = defineSlice({
  key: "registration",
  schema: z.strictObject({
    enabled: key(z.boolean().default(false), {
      env: "SECURITY_REGISTERABLE",
      doc: "Anyone may create an account at the register endpoint (FS REGISTERABLE).",
    }),
    url: key(z.string().startsWith("/").default("/register"), {
      env: "SECURITY_REGISTER_URL",
      doc: "Registration endpoint and page.",
    }),
    passwordConfirmRequired: key(z.boolean().default(true), {
      env: "SECURITY_PASSWORD_CONFIRM_REQUIRED",
      doc: "Registration requires `password_confirm` equal to `password`.",
    }),
    sendRegisterEmail: key(z.boolean().default(true), {
      env: "SECURITY_SEND_REGISTER_EMAIL",
      doc: 'Mail "welcome" to new users (with the confirmation link when confirmation is on). The mails to owners of taken addresses (generic mode) are sent regardless.',
    }),
    postRegisterView: key(z.string().min(1).nullable().default(null), {
      env: "SECURITY_POST_REGISTER_VIEW",
      doc: "Where browsers go after registering (default: postLoginView), unless a valid `next` was given.",
    }),
    emailSubject: key(z.string().min(1).default("Welcome"), {
      env: "SECURITY_EMAIL_SUBJECT_REGISTER",
      doc: "Subject of the welcome, welcome_existing and welcome_existing_username mails.",
    }),
  }),
  validate(value, config): ConfigIssue[] {
    // With confirmation on, its own slice reports the same problem once.
    const confirmation = config.confirmation as { enabled?: boolean } | undefined;
    if (!value.enabled || confirmation?.enabled || config.development === true || config.baseUrl) return [];
    return [
      { key: "baseUrl", message: "RAMPART_BASE_URL is required: emailed links must not be built from the Host header" },
    ];
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    registration: typeof registrationSlice;
  }
}
