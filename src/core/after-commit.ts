import type { Runtime } from "./runtime.js";

/**
 * Runs a step that follows a committed change (a new password, a registration, a confirmation): a new session,
 * an audit row, a hook. Its failure is logged and yields null, never an error answer: the change is in force and
 * its link spent whatever happens next, so the user must not be told it failed.
 */
export async function afterCommit<T>(rt: Runtime, step: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    rt.logger.warn(`after a committed change, ${step} failed: ${(error as Error).message}`);
    return null;
  }
}
