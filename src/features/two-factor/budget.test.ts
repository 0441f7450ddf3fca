import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/** SECURITY A6/A8, I69: second-factor codes count toward the account's lockout; exactly-once codes, also under concurrency. */
const dialects = flowDialects().filter((d) => d !== "mysql");

function wrongCode(right: string): string {
  return right === "000000" ? "111111" : "000000";
}

for (const dialect of dialects) {
  describe(`two-factor attempt budget (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    before(async () => {
      t = await createTfApp(dialect, {}, false, { apiEnabledMethods: ["session", "token", "basic"] });
      for (const email of ["loop@x.test", "burst@x.test", "race@x.test", "basic@x.test"])
        secrets.set(email, await enrolAuthenticator(t, email));
      await t.app.rampart.api.createUser({ email: "nobasic@x.test", password: PASSWORD });
    });
    after(() => t.app.close());

    it("restarting the login does not reset the budget: the third loop gets 429 before evaluation; a correct code is refused", async () => {
      toStepStart(t);
      const secret = secrets.get("loop@x.test")!;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof validate>> | null = null;
      for (let loop = 0; loop < 3; loop++) {
        const c = t.app.client();
        const l = await loginPending(c, "loop@x.test", "ready");
        for (let i = 0; i < 2; i++) {
          last = await validate(c, l.json.response.csrf_token, wrongCode(oath(t, secret)));
          statuses.push(last.status);
        }
        if (loop === 2) {
          const right = await validate(c, l.json.response.csrf_token, oath(t, secret));
          assert.equal(right.status, 429, "a correct code during the lock is refused");
          assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
        }
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429]);
      assert.equal(last!.status, 429);
      assert.deepEqual(last!.json.response.error_codes, ["TWO_FACTOR_TOO_MANY_ATTEMPTS"]);
      assert.ok(Number(last!.headers.get("retry-after")) > 0);
      // Unlocked (the lockout's waits are real time: here by the api), a correct code then signs in.
      assert.equal(await t.app.rampart.api.unlockUser((await t.app.rampart.api.findUser("loop@x.test"))!), true);
      const c = t.app.client();
      const l = await loginPending(c, "loop@x.test", "ready");
      assert.equal((await validate(c, l.json.response.csrf_token, oath(t, secret))).status, 200);
    });

    it("50 parallel wrong codes with budget 5 → at most 5 evaluated, the rest 429; a following correct code is refused", async () => {
      toStepStart(t);
      const secret = secrets.get("burst@x.test")!;
      const c = t.app.client();
      const l = await loginPending(c, "burst@x.test", "ready");
      const csrf = l.json.response.csrf_token as string;
      const wrong = wrongCode(oath(t, secret));
      const replies = await Promise.all(Array.from({ length: 50 }, () => validate(c, csrf, wrong)));
      const invalid = replies.filter(
        (r) => r.status === 400 && r.json.response.field_errors?.code?.[0] === "Invalid code",
      ).length;
      const limited = replies.filter((r) => r.status === 429).length;
      assert.ok(invalid <= 5, `evaluated ${invalid}`);
      assert.equal(invalid + limited, 50);
      assert.equal((await validate(c, csrf, oath(t, secret))).status, 429);
    });

    it("two concurrent /tf-validate with the same valid code → exactly one session", async () => {
      for (let round = 0; round < 5; round++) {
        toStepStart(t);
        const secret = secrets.get("race@x.test")!;
        const c = t.app.client();
        const l = await loginPending(c, "race@x.test", "ready");
        const code = oath(t, secret);
        const cookie = c.cookieHeader();
        const replies = await Promise.all(
          Array.from({ length: 8 }, () =>
            c.post("/tf-validate", { json: { code }, headers: { "x-csrf-token": l.json.response.csrf_token, cookie } }),
          ),
        );
        assert.equal(
          replies.filter((r) => r.status === 200).length,
          1,
          `round ${round}: ${replies.map((r) => r.status)}`,
        );
        // The seven replays of the spent code wait their turn and are judged wrong (before, siblings in flight
        // got 429 unjudged): five of them after the sign-in make the account wait, so it is unlocked for the next
        // round.
        await t.app.rampart.api.unlockUser((await t.app.rampart.api.findUser("race@x.test"))!);
      }
    });

    it("HTTP basic cannot do a second factor: a 2FA user's basic credentials are refused", async () => {
      const basic = (email: string) => ({
        authorization: `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString("base64")}`,
      });
      const plain = await t.app.client().get("/api/protected", { acceptJson: true, headers: basic("nobasic@x.test") });
      const tf = await t.app.client().get("/api/protected", { acceptJson: true, headers: basic("basic@x.test") });
      assert.equal(plain.status, 200, "basic works for a user without 2FA");
      assert.equal(tf.status, 401);
    });
  });
}
