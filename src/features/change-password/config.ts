import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";

/** Change password settings (FS "Changeable"), resolved at `config.changePassword`. */
const schema = z.object({
  enabled: z.boolean().default(false),
  changeUrl: z.string().startsWith("/").default("/change"),
  /** Where the HTML form goes after a change; null = POST_LOGIN_VIEW. */
  postChangeView: z.string().nullable().default(null),
  sendPasswordChangeEmail: z.boolean().default(true),
  emailSubjectPasswordChangeNotice: z.string().min(1).default("Your password has been changed"),
});

export type ChangePasswordConfig = z.output<typeof schema>;

export const changePasswordSlice = defineSlice({
  key: "changePassword",
  schema,
  env: {
    SECURITY_CHANGEABLE: ["enabled", "bool"],
    SECURITY_CHANGE_URL: ["changeUrl", "string"],
    SECURITY_POST_CHANGE_VIEW: ["postChangeView", "nullable-string"],
    SECURITY_SEND_PASSWORD_CHANGE_EMAIL: ["sendPasswordChangeEmail", "bool"],
    SECURITY_EMAIL_SUBJECT_PASSWORD_CHANGE_NOTICE: ["emailSubjectPasswordChangeNotice", "string"],
  },
  meanings: {
    enabled: "Self-service password change at /change (FS CHANGEABLE)",
    changeUrl: "Path of the change-password endpoint",
    postChangeView: "Where the HTML form goes after a change (default POST_LOGIN_VIEW)",
    sendPasswordChangeEmail: "Mail a change_notice after a password change",
    emailSubjectPasswordChangeNotice: "Subject of the change_notice mail",
  },
});
