import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Change email (FS CHANGE_EMAIL, 5.5). The resolved slice sits at `config.changeEmail`; read it with
 * `sliceOf(config, changeEmailSlice)`.
 */
const path = z.string().startsWith("/");

const schema = z.object({
  enable: z.boolean().default(false),
  url: path.default("/change-email"),
  withinSeconds: z.number().int().positive().default(2 * 60 * 60),
  postChangeEmailView: z.string().min(1).nullable().default(null),
  changeEmailErrorView: z.string().min(1).nullable().default(null),
  subject: z.string().min(1).default("Confirm your new email address"),
  notifyOld: z.boolean().default(true),
  noticeSubject: z.string().min(1).default("Your email address change was requested"),
});

export type ChangeEmailConfig = z.output<typeof schema>;

export const changeEmailSlice = defineSlice({
  key: "changeEmail",
  schema,
  env: {
    SECURITY_CHANGE_EMAIL: ["enable", "bool"],
    SECURITY_CHANGE_EMAIL_URL: ["url", "string"],
    SECURITY_CHANGE_EMAIL_WITHIN: ["withinSeconds", "int"],
    SECURITY_POST_CHANGE_EMAIL_VIEW: ["postChangeEmailView", "nullable-string"],
    SECURITY_CHANGE_EMAIL_ERROR_VIEW: ["changeEmailErrorView", "nullable-string"],
    SECURITY_CHANGE_EMAIL_SUBJECT: ["subject", "string"],
    RAMPART_CHANGE_EMAIL_NOTIFY_OLD: ["notifyOld", "bool"],
    RAMPART_CHANGE_EMAIL_NOTICE_SUBJECT: ["noticeSubject", "string"],
  },
  meanings: {
    enable: "Signed-in users may change their email address; the new address must confirm through an emailed link (FS CHANGE_EMAIL).",
    url: "Change-email endpoint and page; the emailed confirmation link is this URL followed by /<token>.",
    withinSeconds: "How long a change-email confirmation link stays valid (FS CHANGE_EMAIL_WITHIN, 2 hours).",
    postChangeEmailView: "Where the browser goes after a confirmed change (default: urls.postLoginView); the SPA success view in spa mode.",
    changeEmailErrorView: "Where the browser goes when a confirmation link is bad or expired (default: the change-email page); the SPA error view in spa mode.",
    subject: "Subject of the confirmation mail sent to the new address.",
    notifyOld: "Also tell the current address that a change was requested (Rampart addition).",
    noticeSubject: "Subject of the notice sent to the current address (Rampart addition).",
  },
});
