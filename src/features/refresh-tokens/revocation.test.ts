import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { PASSWORD, mobileClient, mobileConfig, newUser, reasonOf } from "./testing/kit.js";

/** Everything that ends a user's access ends their refresh token families, and /sessions lists and ends them. */
for (const dialect of flowDialects()) {
  describe(`refresh token families end with the user's access (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: { ...mobileConfig, changePassword: { enabled: true }, recovery: { enabled: true } },
      });
    });
    after(() => app.close());

    /** Signs in twice (two devices); `end` ends the user's access; both families then answer REVOKED. */
    const endsBoth = async (prefix: string, end: (email: string, access: string) => Promise<void>) => {
      const m = mobileClient(app);
      const email = await newUser(app, prefix);
      const phone = await m.signIn(email);
      const tablet = await m.signIn(email);
      await end(email, phone.access);
      assert.equal(reasonOf(await m.refresh(phone.refresh)), "REVOKED", prefix);
      assert.equal(reasonOf(await m.refresh(tablet.refresh)), "REVOKED", prefix);
      assert.equal(await m.use(tablet.access), 401, prefix);
      return email;
    };
    const revokedAudit = async (email: string, reason: string) => {
      const user = (await app.rampart.api.findUser(email))!;
      const rows = await app.rampart.api.auditEvents({ event: "refresh_tracker_revoked" });
      return rows.filter((r) => r.userId === user.id && (r.details as { reason?: string })?.reason === reason).length;
    };

    it("a password change over HTTP (with the access token) ends them, audited as password_changed", async () => {
      const email = await endsBoth("Change.Pw", async (_email, access) => {
        const r = await mobileClient(app).send("POST", "/change", {
          json: {
            password: PASSWORD,
            new_password: "a whole new passphrase",
            new_password_confirm: "a whole new passphrase",
          },
          headers: { "authentication-token": access },
        });
        assert.equal(r.status, 200, r.body);
      });
      assert.equal(await revokedAudit(email, "password_changed"), 1);
    });

    it("a password reset by emailed link ends them", async () => {
      const email = await endsBoth("Reset.Pw", async (address) => {
        const m = mobileClient(app);
        app.sink.clear();
        assert.equal((await m.send("POST", "/reset", { json: { email: address } })).status, 200);
        const mail = await app.sink.waitFor((x) => x.envelopeTo.some((t) => t.toLowerCase() === address.toLowerCase()));
        const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
        const r = await m.send("POST", path, {
          json: { password: "a reset passphrase here", password_confirm: "a reset passphrase here" },
        });
        assert.equal(r.status, 200, r.body);
      });
      assert.equal(await revokedAudit(email, "password_reset"), 1);
    });

    it("deactivation, reset-access and an admin's password change (api, as the CLI uses) end them", async () => {
      const deactivated = await endsBoth("Deactivated", async (email) => {
        assert.equal(await app.rampart.api.deactivateUser((await app.rampart.api.findUser(email))!), true);
      });
      assert.equal(await revokedAudit(deactivated, "deactivated"), 1);
      const reset = await endsBoth("Reset.Access", async (email) => {
        await app.rampart.api.resetAccess((await app.rampart.api.findUser(email))!);
      });
      assert.equal(await revokedAudit(reset, "reset_access"), 1);
      await endsBoth("Admin.Pw", async (email) => {
        await app.rampart.api.changePassword((await app.rampart.api.findUser(email))!, "an admin set passphrase");
      });
    });

    it("a deactivated user cannot refresh even if the family were still live (account checks run)", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Inactive");
      const tokens = await m.signIn(email);
      const user = (await app.rampart.api.findUser(email))!;
      // Deactivate without the api (as a direct database edit would): only the account check can refuse.
      await app.runtime.datastore.users.update(user.id, { active: false });
      const r = await m.refresh(tokens.refresh);
      assert.equal(r.status, 400, r.body);
      assert.notEqual(r.json.response.error_codes[0], undefined);
      await app.runtime.datastore.users.update(user.id, { active: true });
      assert.equal((await m.refresh(tokens.refresh)).status, 200, "the refusal left the family as it was");
    });

    it("GET /sessions lists families (kind refresh_token); revoking one by id ends it; 'others' keeps the caller's; 'all' ends every one", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Sessions.List");
      const a = await m.signIn(email);
      const b = await m.signIn(email);
      const c = await m.signIn(email);
      const list = async (access: string) => {
        const r = await m.send("GET", "/sessions", { headers: { "authentication-token": access }, acceptJson: true });
        assert.equal(r.status, 200, r.body);
        // A JSON sign-in also makes a server-side session (its cookie unused here): listed as kind "session".
        return (r.json.response.sessions as { id: string; kind: string; current: boolean }[]).filter(
          (s) => s.kind === "refresh_token",
        );
      };
      const listed = await list(a.access);
      assert.equal(listed.length, 3);
      assert.ok(listed.every((s) => s.id.startsWith("rt:")));
      assert.equal(listed.filter((s) => s.current).length, 1);
      const mine = listed.find((s) => s.current)!;

      const revoke = (access: string, body: Record<string, unknown>) =>
        m.send("POST", "/sessions/revoke", { json: body, headers: { "authentication-token": access } });
      const other = listed.find((s) => !s.current)!;
      const one = await revoke(a.access, { id: other.id });
      assert.equal(one.status, 200, one.body);
      assert.equal(one.json.response.revoked, 1);
      assert.equal((await list(a.access)).length, 2);
      // Someone else's id, or an unknown one, answers as unknown.
      assert.equal((await revoke(a.access, { id: "rt:nosuchfamily" })).status, 400);

      const others = await revoke(a.access, { scope: "others" });
      assert.equal(others.status, 200, others.body);
      assert.ok(others.json.response.revoked >= 1, others.body);
      assert.deepEqual(
        (await list(a.access)).map((s) => s.id),
        [mine.id],
      );
      assert.equal((await m.refresh(a.refresh)).status, 200, "the caller's own family goes on");
      for (const t of [b, c]) assert.equal(reasonOf(await m.refresh(t.refresh)), "REVOKED");

      const fresh = await m.signIn(email);
      const all = await revoke(fresh.access, { scope: "all" });
      assert.equal(all.status, 200, all.body);
      assert.equal(reasonOf(await m.refresh(fresh.refresh)), "REVOKED");
      assert.equal(await m.use(fresh.access), 401);
    });

    it("a session user's list shows its sessions with kind session next to families", async () => {
      const email = await newUser(app, "Mixed");
      await mobileClient(app).signIn(email);
      const browser = app.client();
      await browser.login(email, PASSWORD);
      const r = await browser.get("/sessions", { acceptJson: true });
      const sessions = r.json.response.sessions as { kind: string; current: boolean }[];
      assert.equal(sessions.filter((s) => s.kind === "refresh_token").length, 1);
      assert.equal(sessions.filter((s) => s.kind === "session" && s.current).length, 1);
      const page = await browser.get("/sessions");
      assert.equal(page.status, 200);
      assert.equal((page.body.match(/data-session="rt:/g) ?? []).length, 1);
    });
  });
}
