import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/** Registration (FS REGISTERABLE) settings, resolved at `config.registration`. */
export const registrationSlice = defineSlice({
  key: "registration",
  schema: z.object({
    enabled: z.boolean().default(false),
    url: z.string().startsWith("/").default("/register"),
    passwordConfirmRequired: z.boolean().default(true),
    sendRegisterEmail: z.boolean().default(true),
    postRegisterView: z.string().min(1).nullable().default(null),
    emailSubject: z.string().min(1).default("Welcome"),
  }),
  env: {
    SECURITY_REGISTERABLE: ["enabled", "bool"],
    SECURITY_REGISTER_URL: ["url", "string"],
    SECURITY_PASSWORD_CONFIRM_REQUIRED: ["passwordConfirmRequired", "bool"],
    SECURITY_SEND_REGISTER_EMAIL: ["sendRegisterEmail", "bool"],
    SECURITY_POST_REGISTER_VIEW: ["postRegisterView", "nullable-string"],
    SECURITY_EMAIL_SUBJECT_REGISTER: ["emailSubject", "string"],
  },
  meanings: {
    enabled: "Anyone may create an account at the register endpoint (FS REGISTERABLE).",
    url: "Registration endpoint and page.",
    passwordConfirmRequired: "Registration requires `password_confirm` equal to `password`.",
    sendRegisterEmail: "Mail \"welcome\" to new users (with the confirmation link when confirmation is on). The mails to owners of taken addresses (generic mode) are sent regardless.",
    postRegisterView: "Where browsers go after registering (default: postLoginView), unless a valid `next` was given.",
    emailSubject: "Subject of the welcome, welcome_existing and welcome_existing_username mails.",
  },
  validate(value, config): ConfigIssue[] {
    // With confirmation on, its own slice reports the same problem once.
    const confirmation = config.confirmation as { enabled?: boolean } | undefined;
    if (!value.enabled || confirmation?.enabled || config.development === true || config.baseUrl) return [];
    return [{ key: "baseUrl", message: "RAMPART_BASE_URL is required: emailed links must not be built from the Host header" }];
  },
});
