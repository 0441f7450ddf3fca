import type { UserRecord } from "../datastore/contracts.js";
import type { PublicUser } from "./public-user.js";

/**
 * Typed events, the counterpart of Flask-Security's signals. Listeners may be async; a failing listener is
 * reported through `onListenerError` and never breaks the request that emitted the event.
 */
export interface RampartEvents {
  user_authenticated: { user: UserRecord; authnVia: string[]; sessionId: string | null };
  user_unauthenticated: { user: UserRecord };
  user_failed_authn: { user: UserRecord | null; identity: string | null; authType: string; reason: string };
  session_revoked: { user: UserRecord; sessionIds: string[]; scope: "one" | "others" | "all" };
  password_rehashed: { user: UserRecord; from: string };
  reauthenticated: { user: UserRecord; authnVia: string[] };
  /** A new account was created by /register; formData holds the accepted fields (never a password). */
  user_registered: { user: UserRecord; confirmationToken: string | null; formData: Record<string, unknown> };
  /** /register named a taken email or username (generic mode answered as if it succeeded). */
  user_not_registered: { user: UserRecord | null; existingEmail: boolean; existingUsername: boolean; formData: Record<string, unknown> };
  user_confirmed: { user: UserRecord };
  confirm_instructions_sent: { user: UserRecord; token: string };
  /** /reset mailed a reset link (FS reset_password_instructions_sent); `token` is the link's token. */
  reset_password_instructions_sent: { user: UserRecord; token: string };
  /** A reset link set a new password (every session and token of the user ended). */
  password_reset: { user: UserRecord };
  /** /change set a new password (other sessions and every token ended; the caller got a new session). */
  password_changed: { user: UserRecord };
  /** /change-email mailed a confirmation link to the new address (FS change_email_instructions_sent). */
  change_email_instructions_sent: { user: UserRecord; newEmail: string; token: string };
  /** A change-email link was followed: `user.email` is the new address (FS change_email_confirmed). */
  change_email_confirmed: { user: UserRecord; oldEmail: string };
  /** /change-username set a new username, or cleared it (null) when usernames are optional (FS username_changed). */
  username_changed: { user: UserRecord; oldUsername: string | null };
  /** /recover-username mailed the user their username (FS username_recovery_email_sent). */
  username_recovery_email_sent: { user: UserRecord };
  /** PUT /profile changed the named app-declared fields (Rampart addition; values are not included). */
  profile_updated: { user: UserRecord; fields: string[] };
  /** A second-factor code was accepted and the sign-in (or setup) completed (FS tf_code_confirmed). */
  tf_code_confirmed: { user: UserRecord; method: string };
  /** The user's second-factor method was set or changed (FS tf_profile_changed). */
  tf_profile_changed: { user: UserRecord; method: string };
  /** Two-factor was switched off for the user (FS tf_disabled). */
  tf_disabled: { user: UserRecord };
  /** A second-factor code was sent by email or SMS (FS tf_security_token_sent). */
  tf_security_token_sent: { user: UserRecord; method: string; token: string; phoneNumber: string | null };
  /** A unified sign-in code was sent (FS us_security_token_sent); `loginToken` is the code, never logged by Rampart. */
  us_security_token_sent: { user: UserRecord; method: string; loginToken: string; phoneNumber: string | null; sendMagicLink: boolean };
  /** Unified sign-in methods were set up or removed (FS us_profile_changed). */
  us_profile_changed: { user: UserRecord; methods: string[]; delete: boolean };
  /** A new set of multi-factor recovery codes replaced the old one (Rampart; FS has no signal). No codes in it. */
  mf_recovery_codes_generated: { user: UserRecord; count: number };
  /** A recovery code completed a pending two-factor sign-in (Rampart). */
  mf_recovery_code_used: { user: UserRecord; codesLeft: number };
}

export type EventName = keyof RampartEvents;
type Listener<K extends EventName> = (payload: RampartEvents[K]) => void | Promise<void>;

export class EventBus {
  private readonly listeners = new Map<EventName, Listener<EventName>[]>();
  constructor(private readonly onListenerError: (name: EventName, error: unknown) => void) {}

  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener<EventName>);
    this.listeners.set(name, list);
    return () => {
      const current = this.listeners.get(name) ?? [];
      this.listeners.set(name, current.filter((l) => l !== (listener as Listener<EventName>)));
    };
  }

  async emit<K extends EventName>(name: K, payload: RampartEvents[K]): Promise<void> {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        await listener(payload);
      } catch (error) {
        this.onListenerError(name, error);
      }
    }
  }
}

/** Actions that have before/after hooks. */
export type HookedAction = "login" | "logout" | "verify" | "revoke_session" | "register" | "confirm" | "send_confirmation" | "forgot_password" | "reset_password" | "change_password" | "change_email" | "change_email_confirm" | "change_username" | "recover_username" | "update_profile" | "tf_validate" | "tf_setup" | "mf_recovery" | "us_signin" | "us_setup" | "us_verify";

/** What a `before` hook returns to refuse an action: rendered in the contract's error shape. */
export interface HookVeto {
  message: string;
  /** Form field the error belongs to; "" (default) for a form-level error. */
  field?: string;
  code?: string;
  status?: number;
}

export interface HookInput {
  action: HookedAction;
  /**
   * A copy of the request whose body holds `input` (JSON or urlencoded), so `request.json()` / `formData()` /
   * `clone()` work; Rampart has read the original.
   */
  request: Request;
  /** The submitted fields as parsed, without passwords, one-time codes, the CSRF token or the auth token. */
  input: Readonly<Record<string, unknown>>;
  /** The public view of the user the action concerns (never the row), or null. */
  user: PublicUser | null;
}

export interface Hooks {
  before?: Partial<Record<HookedAction, (input: HookInput) => void | HookVeto | Promise<void | HookVeto>>>;
  after?: Partial<Record<HookedAction, (input: HookInput) => void | Promise<void>>>;
}
