import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { Reply } from "../helpers/client.js";

/**
 * Per-account lockout under simultaneous checks of one account, black-box, with the default policy (threshold 5):
 * right credentials sent in parallel (an API client's burst of HTTP basic requests, an SPA in several tabs) are
 * all judged and succeed, while parallel wrong guesses are still judged exactly `threshold` times before the wait
 * closes the account, and an identity that names no account answers the same burst the same way.
 */
const PASSWORD = "correct horse battery";
const config = {
  username: { enable: true },
  apiEnabledMethods: ["session", "token", "basic"],
  // Every request comes from 127.0.0.1: the per-source budgets are out of the way, this is about one account.
  rateLimit: { sourceFailures: 10_000, sourceAttempts: 10_000 },
};

const basicHeader = (identity: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${identity}:${password}`).toString("base64")}`,
});

/** Fires all requests at once (each client has fetched its CSRF token before): replies in the order given. */
type Via = "basic" | "json" | "form";
async function burst(app: TestApp, attempts: { identity: string; password: string; via: Via }[]) {
  const ready = await Promise.all(
    attempts.map(async (a) => {
      const c = app.client();
      return { ...a, c, csrf: a.via === "basic" ? "" : await c.csrf() };
    }),
  );
  return Promise.all(
    ready.map(({ c, csrf, identity, password, via }) =>
      via === "basic"
        ? c.get("/api/protected", { acceptJson: true, headers: basicHeader(identity, password) })
        : via === "form"
          ? c.post("/login", { form: { email: identity, password, csrf_token: csrf } })
          : c.post("/login", { json: { email: identity, password }, headers: { "x-csrf-token": csrf } }),
    ),
  );
}
const vias: Via[] = ["json", "form", "basic"];

const statuses = (replies: Reply[]) => replies.map((r) => r.status).sort((a, b) => a - b);
const count = (replies: Reply[], status: number) => replies.filter((r) => r.status === status).length;

for (const dialect of flowDialects()) {
  describe(`lockout: simultaneous checks of one account (${dialect})`, () => {
    let app: TestApp;
    const failed: string[] = [];
    const locked: string[] = [];
    const unlocked: string[] = [];
    const who = (e: { user: { email: string } | null; identity?: string | null }) =>
      (e.user?.email ?? e.identity ?? "").toLowerCase();
    before(async () => {
      app = await createTestApp({ dialect, config: config as never });
      app.rampart.events.on("user_failed_authn", (e) => void failed.push(who(e)));
      app.rampart.events.on("user_locked", (e) => void locked.push(who(e)));
      app.rampart.events.on("user_unlocked", (e) => void unlocked.push(who(e)));
    });
    after(() => app.close());

    it("20 parallel HTTP basic requests with the right password: every one answers 200", async () => {
      const email = "Api.Client-1+burst@Sub.Example.test";
      await app.rampart.api.createUser({ email, username: "apiclient1", password: PASSWORD });
      const replies = await burst(
        app,
        Array.from({ length: 20 }, (_, i) => ({
          identity: i % 2 ? email.toUpperCase() : "apiclient1",
          password: PASSWORD,
          via: "basic" as const,
        })),
      );
      assert.deepEqual(
        replies.map((r) => r.status),
        Array(20).fill(200),
        replies.map((r) => `${r.status} ${r.headers.get("retry-after")}`).join(","),
      );
      const user = (await app.rampart.api.findUser(email))!;
      assert.deepEqual(await app.rampart.api.lockState(user), { failures: 0, locked: false, retryAfterSeconds: null });
      // Siblings in flight are not failures: nothing was locked, so nothing is reported unlocked.
      assert.deepEqual(
        unlocked.filter((u) => u === email.toLowerCase()),
        [],
      );
    });

    it("20 parallel /login with the right password, as JSON and as forms (several tabs): every one signs in", async () => {
      const email = "Tabs.User+many@X.Example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const replies = await burst(
        app,
        Array.from({ length: 20 }, (_, i) => ({
          identity: i % 4 ? email : email.toLowerCase(),
          password: PASSWORD,
          via: i % 2 ? ("form" as const) : ("json" as const),
        })),
      );
      // JSON answers 200; a form's success redirects to the post-login page.
      assert.deepEqual(
        replies.map((r) => r.status),
        Array.from({ length: 20 }, (_, i) => (i % 2 ? 302 : 200)),
        replies.map((r) => `${r.status} ${r.headers.get("retry-after")}`).join(","),
      );
    });

    it("30 parallel wrong guesses, at a known account and at an identity that names none: exactly 5 judged, the rest 429 with the real wait; then the right password waits too", async () => {
      const known = "Known.Target-7@Sub.Example.test";
      const nobody = "Nobody.Target-7@Sub.Example.test";
      await app.rampart.api.createUser({ email: known, password: PASSWORD });
      const answers: Record<string, Reply[]> = {};
      for (const identity of [known, nobody]) {
        answers[identity] = await burst(
          app,
          Array.from({ length: 30 }, (_, i) => ({
            identity,
            password: `wrong ${i}`,
            via: vias[i % 3]!,
          })),
        );
      }
      for (const identity of [known, nobody]) {
        const replies = answers[identity]!;
        assert.equal(count(replies, 429), 25, statuses(replies).join(","));
        // Judged: JSON answers 400, basic 401, a form the page again (200); one user_failed_authn each.
        assert.equal(count(replies, 400) + count(replies, 401) + count(replies, 200), 5, statuses(replies).join(","));
        assert.equal(failed.filter((f) => f === identity.toLowerCase()).length, 5);
        // The lock is reported once (event and audit), whatever count a burst read when it closed the account.
        assert.equal(locked.filter((f) => f === identity.toLowerCase()).length, 1, `user_locked for ${identity}`);
        // Refused because the 5th failure closed the account for its wait (30 s; a burst may be told a longer
        // one when siblings held points while the count was read, never a shorter one), not because siblings were
        // in flight (which answered "1").
        for (const r of replies.filter((x) => x.status === 429)) {
          const wait = Number(r.headers.get("retry-after"));
          assert.ok(wait >= 20 && wait <= 3600, `Retry-After ${wait}`);
        }
        const right = await burst(app, [{ identity, password: PASSWORD, via: "json" }]);
        assert.equal(right[0]!.status, 429);
      }
      // The same answers whether or not the identity names an account (which requests were judged is chance).
      assert.equal(count(answers[known]!, 429), count(answers[nobody]!, 429));
      const user = (await app.rampart.api.findUser(known))!;
      assert.equal((await app.rampart.api.lockState(user)).failures, 5);
    });

    it("10 wrong and 10 right in parallel: each one is judged, or refused with the real wait once failures closed the account, never for a sibling in flight", async () => {
      const email = "mixed.owner+x@x.example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const replies = await burst(
        app,
        Array.from({ length: 20 }, (_, i) => ({
          identity: email,
          password: i % 2 ? PASSWORD : `wrong ${i}`,
          via: "json" as const,
        })),
      );
      const rights = replies.filter((_, i) => i % 2);
      const wrongs = replies.filter((_, i) => i % 2 === 0);
      const detail = replies.map((r) => `${r.status} ${r.headers.get("retry-after")}`).join(",");
      // A success forgets the failures before it, so which ones are judged depends on the order they land in; a
      // right password is refused only while five consecutive failures keep the account closed.
      assert.ok(
        rights.every((r) => r.status === 200 || r.status === 429),
        detail,
      );
      assert.ok(
        wrongs.every((r) => r.status === 400 || r.status === 429),
        detail,
      );
      assert.equal(failed.filter((f) => f === email).length, count(wrongs, 400));
      for (const r of replies.filter((x) => x.status === 429))
        assert.ok(Number(r.headers.get("retry-after")) >= 20, detail);
    });
  });
}
