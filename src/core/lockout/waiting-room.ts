/**
 * Where an attempt waits while another attempt on the same lockout key is being judged (core/lockout): from the
 * threshold on only one attempt at a time is judged, and the others should wait their turn rather than be refused
 * only because a sibling is in flight (an API client's parallel requests, several tabs). A settled attempt wakes
 * the next waiter of its process at once; waiters also look again on a slow timer (50 ms doubling up to 500 ms),
 * for attempts settled by another process, so the limit store is never polled in a tight loop.
 *
 * Bounded: an attempt waits at most MAX_WAIT_MS in all, and at most MAX_WAITERS attempts of one key wait in a
 * process (one account cannot pin unbounded memory); beyond either it is refused as before. The key is the lockout
 * key (a keyed hash for an identity that names no account), so the bounds treat known and unknown alike.
 */

/** The longest an attempt waits for its turn in all; then it is refused (429, Retry-After 1). */
export const MAX_WAIT_MS = 5000;
/** Attempts of one key that may wait at once in this process; more are refused at once. */
export const MAX_WAITERS = 64;
const FIRST_LOOK_MS = 50;
const LAST_LOOK_MS = 500;

type Room = Map<string, Set<() => void>>;
// One room per runtime (a process may host several Rampart instances, each with its own limit store).
const rooms = new WeakMap<object, Room>();

function roomOf(owner: object): Room {
  let room = rooms.get(owner);
  if (!room) rooms.set(owner, (room = new Map()));
  return room;
}

/** An attempt's waiting so far: when it must give up, and how many times it looked. */
export interface Waiting {
  deadline: number;
  looks: number;
}

export function startWaiting(): Waiting {
  return { deadline: Date.now() + MAX_WAIT_MS, looks: 0 };
}

/**
 * Waits until an attempt on `key` settles in this process, or the next look is due; false (at once) when the
 * attempt may not wait: its time is up or the key has MAX_WAITERS waiting already.
 */
export function waitTurn(owner: object, key: string, waiting: Waiting): Promise<boolean> {
  const left = waiting.deadline - Date.now();
  const room = roomOf(owner);
  const waiters = room.get(key) ?? new Set<() => void>();
  if (left <= 0 || waiters.size >= MAX_WAITERS) return Promise.resolve(false);
  room.set(key, waiters);
  const delay = Math.min(left, FIRST_LOOK_MS * 2 ** Math.min(waiting.looks++, 4), LAST_LOOK_MS);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      if (waiters.size === 0 && room.get(key) === waiters) room.delete(key);
      resolve(true);
    };
    const timer = setTimeout(done, delay);
    waiters.add(done);
  });
}

/** An attempt on `key` settled (or a waiter leaves without the turn): the longest waiter looks again now. */
export function wakeNext(owner: object, key: string): void {
  const first = rooms.get(owner)?.get(key)?.values().next();
  if (first && !first.done) first.value();
}
