import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects } from "../helpers/app.js";
import { createUsApp, PASSWORD, post, setupEmail, type UsApp } from "../../src/features/unified-signin/testing/kit.js";

/**
 * Timing oracles: with generic responses, an anonymous endpoint that mails only real accounts answers before
 * that mail is even handed to the relay — for a real account as for an unknown one — and the mail still arrives
 * afterwards. The relay here is a loopback SMTP server that takes SLOW ms to accept each message.
 * SLOW is long next to an answer (up to ~100 ms seen on MariaDB/PostgreSQL here) so that a CI machine several
 * times slower still answers well within SLOW / 2, while an answer that waited for the relay cannot.
 */
const SLOW = 1500;

interface Case {
  name: string;
  path: string;
  body: (email: string) => Record<string, unknown>;
  /** The real account for this case (made in `before`). */
  real: string;
  subject: RegExp;
}

const CASES: Case[] = [
  {
    name: "/reset",
    path: "/reset",
    body: (email) => ({ email }),
    real: "Reset.Real-1+x@Sub.X.test",
    subject: /reset/i,
  },
  {
    name: "/confirm",
    path: "/confirm",
    body: (email) => ({ email }),
    real: "confirm.real_2@x-y.example.test",
    subject: /confirm/i,
  },
  {
    name: "/recover-username",
    path: "/recover-username",
    body: (email) => ({ email }),
    real: "name.real@x.test",
    subject: /username/i,
  },
  {
    name: "/us-signin/send-code",
    path: "/us-signin/send-code",
    body: (identity) => ({ identity, chosen_method: "email" }),
    real: "code.real@x.test",
    subject: /Verification Code/,
  },
  {
    name: "/register (taken address)",
    path: "/register",
    body: (email) => ({ email, password: PASSWORD, password_confirm: PASSWORD }),
    real: "taken.real@x.test",
    subject: /./,
  },
];

/** Envelope recipients compared without case (the local part keeps the case it was registered with). */
function to(m: { envelopeTo: string[] }, address: string): boolean {
  return m.envelopeTo.some((a) => a.toLowerCase() === address.toLowerCase());
}

async function timed(t: UsApp, path: string, body: Record<string, unknown>): Promise<{ status: number; ms: number }> {
  const c = t.app.client();
  const csrf = await c.csrf();
  const start = performance.now();
  const r = await c.post(path, { json: body, headers: { "x-csrf-token": csrf } });
  return { status: r.status, ms: performance.now() - start };
}

for (const dialect of flowDialects()) {
  describe(`anonymous mail is sent after the answer (generic responses, slow relay) (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50 },
        {
          returnGenericResponses: true,
          registration: { enabled: true },
          recovery: { enabled: true },
          confirmation: { enabled: true, loginWithoutConfirmation: true },
          username: { enable: true },
          usernameFeatures: { recovery: true },
        },
      );
      const api = t.app.rampart.api;
      for (const c of CASES) {
        if (c.name === "/confirm") await api.createUser({ email: c.real, password: PASSWORD });
        else
          await api.createUser({
            email: c.real,
            password: PASSWORD,
            confirmed: true,
            ...(c.name === "/recover-username" ? { username: "realname" } : {}),
          });
      }
      const signin = CASES.find((c) => c.name === "/us-signin/send-code")!.real.toLowerCase();
      const c = t.app.client();
      assert.equal((await c.login(signin, PASSWORD)).status, 200);
      await setupEmail(t, c, signin);
      await t.app.runtime.deferred.drain();
      t.app.sink.clear();
      t.app.sink.delayMs = SLOW;
    });
    after(async () => {
      t.app.sink.delayMs = 0;
      await t.app.close();
    });

    for (const c of CASES) {
      it(`${c.name}: a real account's answer arrives before its mail is accepted, like an unknown one's; the mail follows`, async () => {
        const real = c.real.toLowerCase();
        const unknown = await timed(t, c.path, c.body(`nobody.${c.path.length}@x.test`));
        const known = await timed(t, c.path, c.body(real));
        assert.equal(unknown.status, 200);
        assert.equal(known.status, 200);
        const arrived = t.app.sink.messages.filter((m) => to(m, real));
        assert.equal(arrived.length, 0, "answered before the relay accepted the mail");
        assert.ok(known.ms < SLOW / 2, `real account answered in ${known.ms.toFixed(0)} ms (relay takes ${SLOW} ms)`);
        assert.ok(unknown.ms < SLOW / 2, `unknown address answered in ${unknown.ms.toFixed(0)} ms`);
        const mail = await t.app.sink.waitFor((m) => to(m, real) && c.subject.test(m.subject), 5000);
        assert.ok(mail, "the mail still arrives");
        await t.app.runtime.deferred.drain();
        // (A registration of an unknown address creates that account: its welcome mail is expected, also after the answer.)
        if (c.path !== "/register")
          assert.equal(
            t.app.sink.messages.filter((m) => m.envelopeTo.some((a) => a.startsWith("nobody."))).length,
            0,
            "nothing to unknown addresses",
          );
      });
    }

    it("a relay failure after the answer is logged and audited (mail_failed), never lost silently", async () => {
      const real = CASES[0]!.real.toLowerCase();
      t.app.sink.delayMs = 0;
      t.app.sink.failNext(1);
      const r = await timed(t, "/reset", { email: real });
      assert.equal(r.status, 200);
      await t.app.runtime.deferred.drain();
      const failed = await t.app.rampart.api.auditEvents({ event: "mail_failed" });
      assert.ok(
        failed.some((e) => e.identity?.toLowerCase() === real),
        "mail_failed audited for the real account",
      );
      t.app.sink.delayMs = SLOW;
    });
  });
}

/** A mail template that takes RENDER ms to render (busy CPU), standing in for the real work of building a mail. */
const RENDER = 250;
function slowText(): string {
  const end = performance.now() + RENDER;
  while (performance.now() < end);
  return "slow body";
}

describe("building the mail (link, rendering) happens after the answer too (sqlite)", () => {
  let app: Awaited<ReturnType<typeof createTestApp>>;
  before(async () => {
    app = await createTestApp({
      dialect: "sqlite",
      mail: true,
      config: {
        returnGenericResponses: true,
        recovery: { enabled: true },
        confirmation: { enabled: true },
        username: { enable: true },
        usernameFeatures: { recovery: true },
      } as never,
      mailTemplates: {
        reset_instructions: { text: slowText },
        confirmation_instructions: { text: slowText },
        username_recovery: { text: slowText },
      },
    });
    await app.rampart.api.createUser({ email: "slow.reset@x.test", password: PASSWORD, confirmed: true });
    await app.rampart.api.createUser({ email: "slow.confirm@x.test", password: PASSWORD });
    await app.rampart.api.createUser({
      email: "slow.name@x.test",
      password: PASSWORD,
      confirmed: true,
      username: "slowname",
    });
  });
  after(() => app.close());

  for (const [path, email] of [
    ["/reset", "slow.reset@x.test"],
    ["/confirm", "slow.confirm@x.test"],
    ["/recover-username", "slow.name@x.test"],
  ] as const) {
    it(`${path}: a real account's answer does not wait for its mail to be built`, async () => {
      const c = app.client();
      const csrf = await c.csrf();
      const start = performance.now();
      const r = await c.post(path, { json: { email }, headers: { "x-csrf-token": csrf } });
      const ms = performance.now() - start;
      assert.equal(r.status, 200, r.body);
      assert.ok(ms < RENDER, `answered in ${ms.toFixed(0)} ms; building the mail takes ${RENDER} ms`);
      await app.runtime.deferred.drain();
      await app.sink.waitFor((m) => to(m, email));
    });
  }
});
