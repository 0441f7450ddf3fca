import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { PASSWORD } from "../../src/features/registration/testing/support.js";

/**
 * An instance whose clock runs fast signs values "in the future". Presented to an instance on real time they
 * would live longer by the skew, so beyond a small tolerance (60 s by default) they are refused as expired;
 * within it they work. Here one instance plays both: it mints with its clock moved ahead, then is set back.
 */
for (const dialect of flowDialects()) {
  describe(`values signed by a fast clock (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, mail: true, config: { recovery: { enabled: true } } });
    });
    after(() => app?.close());

    /** Runs `mint` with the clock `ahead` seconds fast, then puts the clock back to real time. */
    async function mintedAhead<T>(ahead: number, mint: () => Promise<T>): Promise<T> {
      app.advance(ahead);
      try {
        return await mint();
      } finally {
        app.advance(-ahead);
      }
    }

    const protectedStatus = async (token: string) =>
      (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } }))
        .status;

    it("an auth token minted 5 minutes ahead is refused (401); one minted 30 s ahead works", async () => {
      const email = `Fast.Clock-token+${dialect}@Sub.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const tokenAt = async (ahead: number) =>
        mintedAhead(ahead, async () => {
          const r = await app.client().login(email, PASSWORD, {}, "?include_auth_token");
          assert.equal(r.status, 200, r.body);
          return r.json.response.user.authentication_token as string;
        });
      assert.equal(await protectedStatus(await tokenAt(300)), 401);
      assert.equal(await protectedStatus(await tokenAt(30)), 200);
    });

    it("a CSRF token issued 5 minutes ahead is refused as expired; one 30 s ahead is accepted", async () => {
      const email = `fast.clock-csrf+${dialect}@example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      for (const [ahead, expected] of [
        [300, 400],
        [30, 200],
      ] as const) {
        const c = app.client();
        const csrf = await mintedAhead(ahead, () => c.csrf());
        const r = await c.post("/login", { json: { email, password: PASSWORD }, headers: { "x-csrf-token": csrf } });
        assert.equal(r.status, expected, `${ahead}s ahead: ${r.body}`);
        if (expected === 400) assert.deepEqual(r.json.response.error_codes, ["CSRF_EXPIRED"]);
      }
    });

    it("a reset link mailed 5 minutes ahead is refused and changes nothing; one 30 s ahead works", async () => {
      const email = `fast.clock-reset.${dialect}@mail.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const linkAt = async (ahead: number) =>
        mintedAhead(ahead, async () => {
          const c = app.client();
          app.sink.clear();
          const r = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
          assert.equal(r.status, 200, r.body);
          // The clock stays ahead until the mail (and its link) has gone out.
          const mail = await app.sink.waitFor((m) => linksIn(m).some((u) => u.includes("/reset/")));
          return new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
        });
      const resetWith = async (path: string, password: string) => {
        const c = app.client();
        return c.post(path, {
          json: { password, password_confirm: password },
          headers: { "x-csrf-token": await c.csrf() },
        });
      };
      const user = (await app.rampart.api.findUser(email))!;
      const hashOf = async () => (await app.rampart.datastore.users.findById(user.id))!.password;
      const hashBefore = await hashOf();
      const refused = await resetWith(await linkAt(300), "a brand new passphrase 42");
      assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status} ${refused.body}`);
      assert.match(refused.json.response.error_codes.join(","), /EXPIRED/);
      assert.equal(await hashOf(), hashBefore, "the password is unchanged");
      const accepted = await resetWith(await linkAt(30), "another brand new passphrase 43");
      assert.equal(accepted.status, 200, accepted.body);
    });
  });
}
