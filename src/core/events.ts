import type { UserRecord } from "../datastore/contracts.js";
import type { PublicUser } from "./public-user.js";
import type { AuthnMethod } from "./methods.js";

/**
 * Typed events, the counterpart of Flask-Security's signals. Listeners may be async; a failing listener is
 * reported through `onListenerError` and never breaks the request that emitted the event.
 */
/**
 * The core's own events; every feature adds its events to this interface from its folder (registry.ts, by
 * declaration merging), so the bus stays typed without the core naming any feature.
 */
export interface RampartEvents {
  user_authenticated: { user: UserRecord; authnVia: AuthnMethod[]; sessionId: string | null };
  user_unauthenticated: { user: UserRecord };
  user_failed_authn: { user: UserRecord | null; identity: string | null; authType: string; reason: string };
  session_revoked: { user: UserRecord; sessionIds: string[]; scope: "one" | "others" | "all" };
  /** A new password was set (POST /change or `api.changePassword`): every session and token of the user ended. */
  password_changed: { user: UserRecord };
  password_rehashed: { user: UserRecord; from: string };
  reauthenticated: { user: UserRecord; authnVia: AuthnMethod[] };
  /**
   * An account (or an identity that names none: `user` null) reached the lockout threshold, or its ceiling
   * (`retryAfterSeconds` null: refused until a password reset or an unlock). No credential in it.
   */
  user_locked: { user: UserRecord | null; identity: string | null; failures: number; retryAfterSeconds: number | null };
  /** A waiting or locked account's failures were forgotten: a completed sign-in, a new password, an unlock. */
  user_unlocked: { user: UserRecord; via: "sign_in" | "password" | "admin" };
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
      this.listeners.set(
        name,
        current.filter((l) => l !== (listener as Listener<EventName>)),
      );
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
/** Actions an app may hook (`before` to veto, `after` to observe); features add theirs by declaration merging. */
export interface HookedActions {
  login: true;
  logout: true;
  verify: true;
  revoke_session: true;
}
export type HookedAction = keyof HookedActions & string;

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
