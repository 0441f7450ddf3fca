import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";

/** Change password settings (FS "Changeable"), resolved at `config.changePassword`. */
const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_CHANGEABLE",
    doc: "Self-service password change at /change (FS CHANGEABLE)",
  }),
  changeUrl: key(z.string().startsWith("/").default("/change"), {
    env: "SECURITY_CHANGE_URL",
    doc: "Path of the change-password endpoint",
  }),
  /** Where the HTML form goes after a change; null = POST_LOGIN_VIEW. */
  postChangeView: key(z.string().nullable().default(null), {
    env: "SECURITY_POST_CHANGE_VIEW",
    doc: "Where the HTML form goes after a change (default POST_LOGIN_VIEW)",
  }),
  sendPasswordChangeEmail: key(z.boolean().default(true), {
    env: "SECURITY_SEND_PASSWORD_CHANGE_EMAIL",
    doc: "Mail a change_notice after a password change",
  }),
  emailSubjectPasswordChangeNotice: key(z.string().min(1).default("Your password has been changed"), {
    env: "SECURITY_EMAIL_SUBJECT_PASSWORD_CHANGE_NOTICE",
    doc: "Subject of the change_notice mail",
  }),
});

export type ChangePasswordConfig = z.output<typeof schema>;

export const changePasswordSlice = defineSlice({
  key: "changePassword",
  schema,
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    changePassword: typeof changePasswordSlice;
  }
}
