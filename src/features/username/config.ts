import { z } from "zod";
import type { ConfigIssue } from "../../core/errors.js";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Username self-service (FS CHANGE_USERNAME and USERNAME_RECOVERY, 5.6). Both need usernames switched on
 * (`username.enable`, FS USERNAME_ENABLE), whose length rules live in the core `username` slice. The resolved
 * slice sits at `config.usernameFeatures`; read it with `sliceOf(config, usernameFeaturesSlice)`.
 */
const path = z.string().startsWith("/");

const schema = z.object({
  changeUsername: z.boolean().default(false),
  changeUsernameUrl: path.default("/change-username"),
  postChangeUsernameView: z.string().min(1).nullable().default(null),
  sendUsernameChangeEmail: z.boolean().default(true),
  changeNoticeSubject: z.string().min(1).default("Your username has been changed"),
  recovery: z.boolean().default(false),
  recoveryUrl: path.default("/recover-username"),
  recoverySubject: z.string().min(1).default("Your requested username"),
});

export type UsernameFeaturesConfig = z.output<typeof schema>;

export const usernameFeaturesSlice = defineSlice({
  key: "usernameFeatures",
  schema,
  env: {
    SECURITY_CHANGE_USERNAME: ["changeUsername", "bool"],
    SECURITY_CHANGE_USERNAME_URL: ["changeUsernameUrl", "string"],
    SECURITY_POST_CHANGE_USERNAME_VIEW: ["postChangeUsernameView", "nullable-string"],
    SECURITY_SEND_USERNAME_CHANGE_EMAIL: ["sendUsernameChangeEmail", "bool"],
    SECURITY_EMAIL_SUBJECT_USERNAME_CHANGE_NOTICE: ["changeNoticeSubject", "string"],
    SECURITY_USERNAME_RECOVERY: ["recovery", "bool"],
    SECURITY_USERNAME_RECOVERY_URL: ["recoveryUrl", "string"],
    SECURITY_EMAIL_SUBJECT_USERNAME_RECOVERY: ["recoverySubject", "string"],
  },
  meanings: {
    changeUsername: "Signed-in users may change (or, when usernames are optional, clear) their username after a fresh authentication (FS CHANGE_USERNAME).",
    changeUsernameUrl: "Change-username endpoint and page.",
    postChangeUsernameView: "Where browsers go after changing their username (default: urls.postLoginView).",
    sendUsernameChangeEmail: "Mail the account's address when its username changes.",
    changeNoticeSubject: "Subject of the username-changed notice.",
    recovery: "Anyone may ask for the username of an account to be mailed to its address (FS USERNAME_RECOVERY).",
    recoveryUrl: "Username-recovery endpoint and page.",
    recoverySubject: "Subject of the username-recovery mail.",
  },
  validate(value, config): ConfigIssue[] {
    const usernames = (config.username as { enable?: boolean } | undefined)?.enable === true;
    const issues: ConfigIssue[] = [];
    if (value.changeUsername && !usernames) issues.push({ key: "usernameFeatures.changeUsername", message: "needs usernames: set SECURITY_USERNAME_ENABLE (username.enable)" });
    if (value.recovery && !usernames) issues.push({ key: "usernameFeatures.recovery", message: "needs usernames: set SECURITY_USERNAME_ENABLE (username.enable)" });
    return issues;
  },
});
