/** Helpers shared by the conformance suites. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { DuplicateError, type Datastore } from "../contracts.js";

export type DatastoreFactory = () => Promise<Datastore>;

/** Short random tag, so tests sharing one database never collide. */
export function tag(): string {
  return randomBytes(5).toString("hex");
}

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}.${tag()}@example.com`;
}

/** Opens one datastore for the enclosing describe block and closes it afterwards; call the getter in tests. */
export function useDatastore(factory: DatastoreFactory): () => Datastore {
  let ds: Datastore | undefined;
  before(async () => {
    ds = await factory();
  });
  after(async () => {
    await ds?.close();
  });
  return () => {
    if (!ds) throw new Error("datastore not opened (before hook failed?)");
    return ds;
  };
}

export async function assertDuplicate(promise: Promise<unknown>, field: DuplicateError["field"]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DuplicateError, `expected DuplicateError, got ${String(err)}`);
    assert.equal(err.field, field);
    return true;
  });
}

/** Asserts two instants are within `toleranceMs` (1 s for datetimes an FS schema may store to the second). */
export function assertSameInstant(
  actual: Date | null | undefined,
  expected: Date,
  toleranceMs = 0,
  what = "date",
): void {
  assert.ok(actual instanceof Date, `${what}: expected a Date, got ${String(actual)}`);
  const diff = Math.abs(actual.getTime() - expected.getTime());
  assert.ok(
    diff <= toleranceMs,
    `${what}: ${actual.toISOString()} differs from ${expected.toISOString()} by ${diff} ms`,
  );
}

/** Case variants of an ASCII string: variant i upper-cases letter i (and lower-cases the rest). */
export function caseVariants(text: string, count: number): string[] {
  const lower = text.toLowerCase();
  const letters = [...lower].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0);
  if (letters.length < count - 1) throw new Error("not enough letters for the variants");
  const out = [lower];
  for (let k = 0; out.length < count; k++) {
    const i = letters[k] as number;
    out.push(lower.slice(0, i) + lower.charAt(i).toUpperCase() + lower.slice(i + 1));
  }
  return out;
}
