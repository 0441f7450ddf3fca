import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attachRemoteAddress } from "../../src/core/context.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  PASSWORD,
  validate,
} from "../../src/features/two-factor/testing/kit.js";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";

/**
 * The Idempotency-Key header is scoped: a repeat counts as one only with the same key, from the same caller (the
 * signed-in user, else the source address), on the same route, within RAMPART_OUTBOX_IDEMPOTENCY_WINDOW. A
 * repeat's message takes the place of the first one's while that is not sent yet, so the message that goes out
 * is the one matching the answer the client kept.
 */
const OUTBOX = { retryBaseSeconds: 1, retryMaxSeconds: 5, pollIntervalSeconds: 0, idempotencyWindowSeconds: 60 };

const mailsTo = (app: TestApp, address: string) =>
  app.sink.messages.filter((m) => m.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase()));

/** A client at `peer` (the socket address Rampart sees). */
const from = (app: TestApp, peer: string) =>
  new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, peer)));

async function settled(app: TestApp): Promise<void> {
  await app.runtime.deferred.drain();
  await app.runtime.outbox.drain();
}

for (const dialect of flowDialects()) {
  describe(`outbox: the Idempotency-Key header (${dialect})`, () => {
    it("the same key from two sources sends two mails; from one source after the window, a new mail", async () => {
      const app = await createTestApp({ dialect, mail: true, config: { recovery: { enabled: true }, outbox: OUTBOX } });
      try {
        const email = "Shared.Key-Victim+1@Sub.Example.test";
        await app.rampart.api.createUser({ email, password: PASSWORD });
        const reset = async (peer: string, key: string) => {
          const c = from(app, peer);
          const r = await c.post("/reset", {
            json: { email },
            headers: { "x-csrf-token": await c.csrf(), "idempotency-key": key },
          });
          assert.equal(r.status, 200, r.body);
          await settled(app);
        };
        await reset("198.51.100.7", "0000-0000-0001");
        await reset("2001:db8:7::1", "0000-0000-0001");
        assert.equal(mailsTo(app, email).length, 2, "another caller's request is never taken for a repeat");
        app.advance(61);
        await reset("198.51.100.7", "0000-0000-0001");
        assert.equal(mailsTo(app, email).length, 3, "after the window the key starts a new request");
      } finally {
        await app.close();
      }
    });

    it("two users signing in from one address with the same key both reach the help desk, while the relay is refusing", async () => {
      const desk = "Help.Desk+rescue@Support.Example.test";
      const t = await createTfApp(dialect, { required: true, rescueMail: desk }, true, { outbox: OUTBOX });
      const app = t.app;
      try {
        const users = ["First.User-A+1@Example.test", "Second.User-B+2@Example.test"];
        for (const email of users) await enrolAuthenticator(t, email);
        app.sink.failNext(2, 451);
        for (const email of users) {
          const c = from(app, "192.0.2.80");
          const l = await c.post("/login", {
            json: { email, password: PASSWORD },
            headers: { "x-csrf-token": await c.csrf() },
          });
          assert.equal(l.json.response.tf_state, "ready", l.body);
          const r = await c.post("/tf-rescue", {
            json: { help_setup: "help" },
            headers: { "x-csrf-token": l.json.response.csrf_token as string, "idempotency-key": "rescue-1" },
          });
          assert.equal(r.status, 200, r.body);
          await settled(app);
        }
        for (let i = 0; i < 3; i++) {
          t.advance(10);
          await app.runtime.outbox.poll();
        }
        const mails = mailsTo(app, desk);
        assert.equal(mails.length, 2, "one rescue mail per user");
        for (const email of users)
          assert.ok(
            mails.some((m) => m.text.toLowerCase().includes(email.toLowerCase())),
            email,
          );
      } finally {
        await app.close();
      }
    });

    it("a login retried with its key before the first code went out: one mail, with the code of the answer the client kept", async () => {
      const t = await createTfApp(dialect, { required: true }, true, { outbox: OUTBOX });
      const app = t.app;
      try {
        const email = "Retried.Login-Code+2@Mail.Sub-Domain.example.test";
        await app.rampart.api.createUser({ email, password: PASSWORD });
        const setup = app.client();
        const l = await loginPending(setup, email, "setup_from_login");
        const csrf = l.json.response.csrf_token as string;
        const s = await setup.post("/tf-setup", { json: { setup: "email" }, headers: { "x-csrf-token": csrf } });
        assert.equal(s.status, 200, s.body);
        await settled(app);
        const setupCode = /(\d{6})/.exec(mailsTo(app, email)[0]!.text)![1]!;
        assert.equal((await validate(setup, csrf, setupCode)).status, 200);
        app.sink.clear();

        // The relay refuses for now (451): the first code is still waiting when the client retries.
        app.sink.failNext(2, 451);
        const login = async () => {
          const c = from(app, "203.0.113.44");
          const r = await c.post("/login", {
            json: { email, password: PASSWORD },
            headers: { "x-csrf-token": await c.csrf(), "idempotency-key": "login-7f3a" },
          });
          assert.equal(r.status, 200, r.body);
          assert.equal(r.json.response.tf_required, true);
          await settled(app);
          return { c, csrf: r.json.response.csrf_token as string };
        };
        await login(); // its answer is lost on the way: the client retries with the same key
        const kept = await login();
        assert.equal(mailsTo(app, email).length, 0);
        for (let i = 0; i < 3; i++) {
          t.advance(10);
          await app.runtime.outbox.poll();
        }
        const mails = mailsTo(app, email);
        assert.equal(mails.length, 1, "one mail for the request and its repeat");
        const code = /(\d{6})/.exec(mails[0]!.text)![1]!;
        assert.equal((await validate(kept.c, kept.csrf, code)).status, 200, "the code is the kept answer's");
      } finally {
        await app.close();
      }
    });
  });
}
