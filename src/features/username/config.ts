import { z } from "zod";
import type { ConfigIssue } from "../../core/errors.js";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Username self-service (FS CHANGE_USERNAME and USERNAME_RECOVERY, 5.6). Both need usernames switched on
 * (`username.enable`, FS USERNAME_ENABLE), whose length rules live in the core `username` slice. The resolved
 * slice sits at `config.usernameFeatures`; read it with `sliceOf(config, usernameFeaturesSlice)`.
 */
const path = z.string().startsWith("/");

const schema = z.strictObject({
  changeUsername: key(z.boolean().default(false), {
    env: "SECURITY_CHANGE_USERNAME",
    doc: "Signed-in users may change (or, when usernames are optional, clear) their username after a fresh authentication (FS CHANGE_USERNAME).",
  }),
  changeUsernameUrl: key(path.default("/change-username"), {
    env: "SECURITY_CHANGE_USERNAME_URL",
    doc: "Change-username endpoint and page.",
  }),
  postChangeUsernameView: key(z.string().min(1).nullable().default(null), {
    env: "SECURITY_POST_CHANGE_USERNAME_VIEW",
    doc: "Where browsers go after changing their username (default: urls.postLoginView).",
  }),
  sendUsernameChangeEmail: key(z.boolean().default(true), {
    env: "SECURITY_SEND_USERNAME_CHANGE_EMAIL",
    doc: "Mail the account's address when its username changes.",
  }),
  changeNoticeSubject: key(z.string().min(1).default("Your username has been changed"), {
    env: "SECURITY_EMAIL_SUBJECT_USERNAME_CHANGE_NOTICE",
    doc: "Subject of the username-changed notice.",
  }),
  recovery: key(z.boolean().default(false), {
    env: "SECURITY_USERNAME_RECOVERY",
    doc: "Anyone may ask for the username of an account to be mailed to its address (FS USERNAME_RECOVERY).",
  }),
  recoveryUrl: key(path.default("/recover-username"), {
    env: "SECURITY_USERNAME_RECOVERY_URL",
    doc: "Username-recovery endpoint and page.",
  }),
  recoverySubject: key(z.string().min(1).default("Your requested username"), {
    env: "SECURITY_EMAIL_SUBJECT_USERNAME_RECOVERY",
    doc: "Subject of the username-recovery mail.",
  }),
});

export type UsernameFeaturesConfig = z.output<typeof schema>;

export const usernameFeaturesSlice = defineSlice({
  key: "usernameFeatures",
  schema,
  validate(value, config): ConfigIssue[] {
    const usernames = (config.username as { enable?: boolean } | undefined)?.enable === true;
    const issues: ConfigIssue[] = [];
    if (value.changeUsername && !usernames)
      issues.push({
        key: "usernameFeatures.changeUsername",
        message: "needs usernames: set SECURITY_USERNAME_ENABLE (username.enable)",
      });
    if (value.recovery && !usernames)
      issues.push({
        key: "usernameFeatures.recovery",
        message: "needs usernames: set SECURITY_USERNAME_ENABLE (username.enable)",
      });
    return issues;
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    usernameFeatures: typeof usernameFeaturesSlice;
  }
}
