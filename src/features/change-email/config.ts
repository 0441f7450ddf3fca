import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Change email (FS CHANGE_EMAIL, 5.5). The resolved slice sits at `config.changeEmail`; read it with
 * `sliceOf(config, changeEmailSlice)`.
 */
const path = z.string().startsWith("/");

const schema = z.strictObject({
  enable: key(z.boolean().default(false), {
    env: "SECURITY_CHANGE_EMAIL",
    doc: "Signed-in users may change their email address; the new address must confirm through an emailed link (FS CHANGE_EMAIL).",
  }),
  url: key(path.default("/change-email"), {
    env: "SECURITY_CHANGE_EMAIL_URL",
    doc: "Change-email endpoint and page; the emailed confirmation link is this URL followed by /<token>.",
  }),
  withinSeconds: key(
    z
      .number()
      .int()
      .positive()
      .default(2 * 60 * 60),
    {
      env: "SECURITY_CHANGE_EMAIL_WITHIN",
      doc: "How long a change-email confirmation link stays valid (FS CHANGE_EMAIL_WITHIN, 2 hours).",
    },
  ),
  postChangeEmailView: key(z.string().min(1).nullable().default(null), {
    env: "SECURITY_POST_CHANGE_EMAIL_VIEW",
    doc: "Where the browser goes after a confirmed change (default: urls.postLoginView); the SPA success view in spa mode.",
  }),
  changeEmailErrorView: key(z.string().min(1).nullable().default(null), {
    env: "SECURITY_CHANGE_EMAIL_ERROR_VIEW",
    doc: "Where the browser goes when a confirmation link is bad or expired (default: the change-email page); the SPA error view in spa mode.",
  }),
  subject: key(z.string().min(1).default("Confirm your new email address"), {
    env: "SECURITY_CHANGE_EMAIL_SUBJECT",
    doc: "Subject of the confirmation mail sent to the new address.",
  }),
  notifyOld: key(z.boolean().default(true), {
    env: "RAMPART_CHANGE_EMAIL_NOTIFY_OLD",
    doc: "Also tell the current address that a change was requested (Rampart addition).",
  }),
  noticeSubject: key(z.string().min(1).default("Your email address change was requested"), {
    env: "RAMPART_CHANGE_EMAIL_NOTICE_SUBJECT",
    doc: "Subject of the notice sent to the current address (Rampart addition).",
  }),
});

export type ChangeEmailConfig = z.output<typeof schema>;

export const changeEmailSlice = defineSlice({
  key: "changeEmail",
  schema,
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    changeEmail: typeof changeEmailSlice;
  }
}
