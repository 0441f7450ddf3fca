import type { unifiedSigninMessages } from "./messages.js";

import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A unified sign-in code was sent (FS us_security_token_sent); `loginToken` is the code, never logged by Rampart. */
    us_security_token_sent: {
      user: UserRecord;
      method: string;
      loginToken: string;
      phoneNumber: string | null;
      sendMagicLink: boolean;
    };
    /** Unified sign-in methods were set up or removed (FS us_profile_changed). */
    us_profile_changed: { user: UserRecord; methods: string[]; delete: boolean };
  }
  interface HookedActions {
    us_signin: true;
    us_setup: true;
    us_verify: true;
  }
}

declare module "../../core/services.js" {
  interface Services {
    unifiedSignin?: {
      /** Where re-authentication happens when unified sign-in is on (pages redirect there; JSON says so). */
      verifyUrl: string;
      /** PASSWORD_REQUIRED=false: registration may create an account without a password. */
      passwordOptional: boolean;
      /** us_totp_secrets for a new account registered without a password: the email method set up. */
      emailMethodSecrets(): string;
    };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof unifiedSigninMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    us_code_sent: true;
    us_setup: true;
    us_setup_started: true;
    verify: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: a unified sign-in passcode or magic link, by method. */
  interface AuthnMethods {
    password: true;
    email: true;
    sms: true;
    authenticator: true;
  }
}
