import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { landingForm } from "../helpers/links.js";
import { linksIn } from "../helpers/smtp-sink.js";
import {
  createUsApp,
  PASSWORD,
  post,
  requestEmailCode,
  setupEmail,
  signedInAs,
  type UsApp,
} from "../../src/features/unified-signin/testing/kit.js";

/**
 * Login CSRF through sign-in links: opening a magic link (or a confirmation link with auto-login) signs nobody
 * in and spends nothing; the page's button — a same-origin, CSRF-protected POST — or, in SPA mode, the SPA's
 * JSON POST completes it. `urls.signInLinksOnGet` restores Flask-Security's GET-signs-in.
 */
function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

function sessionCookies(r: Reply): string[] {
  return r.setCookies.filter((c) => /^(__Host-)?(rampart_session|remember_token)=/.test(c) && !/max-age=0/i.test(c));
}

/** A registered, never-confirmed account; returns the confirmation link from its welcome mail. */
async function registerForConfirmLink(t: UsApp, email: string): Promise<string> {
  t.app.sink.clear();
  const r = await post(t.app.client(), "/register", { email, password: PASSWORD, password_confirm: PASSWORD });
  assert.equal(r.status, 200, r.body);
  const mail = await t.app.sink.waitFor(
    (m) => m.envelopeTo.includes(email) && linksIn(m).some((l) => l.includes("/confirm/")),
  );
  return linksIn(mail).find((l) => l.includes("/confirm/"))!;
}

/** A confirmed password account with the email method set up; returns a fresh magic link. */
async function magicLink(t: UsApp, email: string): Promise<string> {
  await t.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
  const c = t.app.client();
  assert.equal((await c.login(email, PASSWORD)).status, 200);
  await setupEmail(t, c, email);
  const { link } = await requestEmailCode(t, email);
  return link!;
}

for (const dialect of flowDialects()) {
  describe(`sign-in links (HTML, default: a GET signs nobody in) (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50 },
        { registration: { enabled: true }, confirmation: { enabled: true, autoLoginAfterConfirm: true } },
      );
    });
    after(() => t.app.close());

    it("magic link: GET shows a page with a button, sets no session cookie and spends nothing; the page's POST signs in once", async () => {
      const link = await magicLink(t, "Link.Owner-1+a@Sub.X.test".toLowerCase());
      const scanner = t.app.client();
      const prefetch = await scanner.get(pathOf(link));
      assert.equal(prefetch.status, 200, prefetch.body);
      assert.deepEqual(sessionCookies(prefetch), []);
      assert.equal(await signedInAs(scanner), false);
      assert.equal(prefetch.headers.get("cache-control"), "no-store");
      assert.equal(prefetch.headers.get("referrer-policy"), "same-origin");
      assert.doesNotMatch(prefetch.body, /<script/i, "nothing submits the form but the user's click");

      const victim = t.app.client();
      const page = await victim.get(pathOf(link));
      assert.equal(page.status, 200);
      assert.equal(await signedInAs(victim), false, "opening the link signs nobody in");
      const { action, fields } = landingForm(page);
      const done = await victim.post(action, { form: fields });
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/");
      assert.ok(await signedInAs(victim), "the button's POST signs in");
      const other = t.app.client();
      const again = await other.post(action, { form: { ...fields, csrf_token: await other.csrf() } });
      assert.equal(again.status, 302);
      assert.notEqual(again.location, "/", "the link works once");
    });

    it("magic link: a cross-site POST (another Origin) is refused and signs nobody in", async () => {
      const link = await magicLink(t, "csrf-victim@x.test");
      const c = t.app.client();
      const { fields } = landingForm(await c.get(pathOf(link)));
      const forged = await c.post("/us-verify-link", { form: fields, headers: { origin: "https://evil.example" } });
      assert.equal(forged.status, 403, forged.body);
      const noToken = await t.app.client().post("/us-verify-link", { form: { id: fields.id!, code: fields.code! } });
      assert.notEqual(noToken.status, 302, "no CSRF token → refused");
      assert.equal(await signedInAs(c), false);
    });

    it("confirmation link with auto-login: GET shows a page and confirms nothing; its POST confirms and signs in", async () => {
      const email = "confirm.me_2@x-y.example.test";
      const link = await registerForConfirmLink(t, email);
      const c = t.app.client();
      const page = await c.get(pathOf(link));
      assert.equal(page.status, 200, page.body);
      assert.deepEqual(sessionCookies(page), []);
      assert.equal((await t.app.rampart.api.findUser(email))!.confirmedAt, null, "the GET confirms nothing");
      const { action, fields } = landingForm(page);
      const done = await c.post(action, { form: fields });
      assert.equal(done.status, 302, done.body);
      assert.ok((await t.app.rampart.api.findUser(email))!.confirmedAt, "confirmed");
      assert.ok(await signedInAs(c));
      const bogus = await t.app.client().get("/confirm/bogus");
      assert.equal(bogus.status, 302, "a bad link still answers at once");
    });
  });

  describe(`sign-in links in SPA mode (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50, verifyLinkView: "/magic" },
        {
          registration: { enabled: true },
          confirmation: {
            enabled: true,
            autoLoginAfterConfirm: true,
            linkView: "/confirming",
            postConfirmView: "/confirmed",
          },
          urls: { redirectBehavior: "spa", postLoginView: "/welcome" },
        },
      );
    });
    after(() => t.app.close());

    it("magic link: GET redirects to the SPA view with id and code (no session); the SPA's JSON POST signs in", async () => {
      const link = await magicLink(t, "spa.link@x.test");
      const c = t.app.client();
      const r = await c.get(pathOf(link));
      assert.equal(r.status, 302);
      const target = new URL(r.location!, "https://app.test");
      assert.equal(target.pathname, "/magic");
      assert.deepEqual(sessionCookies(r), []);
      assert.equal(await signedInAs(c), false);
      const spa = t.app.client();
      const done = await post(spa, "/us-verify-link", {
        id: target.searchParams.get("id"),
        code: target.searchParams.get("code"),
      });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, "spa.link@x.test");
      assert.equal(done.json.response.tf_required, false);
      assert.ok(await signedInAs(spa));
      const replay = await post(t.app.client(), "/us-verify-link", {
        id: target.searchParams.get("id"),
        code: target.searchParams.get("code"),
      });
      assert.equal(replay.status, 400, replay.body);
      assert.deepEqual(replay.json.response.errors, ["Invalid code"]);
      // Guessing codes for one link by JSON POST draws from the link code limit: then 429 + Retry-After (time left).
      const id = target.searchParams.get("id");
      let last = replay;
      for (let i = 0; i < 12 && last.status !== 429; i++)
        last = await post(t.app.client(), "/us-verify-link", { id, code: String(100000 + i) });
      assert.equal(last.status, 429, last.body);
      const wait = Number(last.headers.get("retry-after"));
      assert.ok(wait > 15 * 60 - 10 && wait <= 15 * 60, `retry-after ${wait}`);
      assert.deepEqual(last.json.response.error_codes, ["LOCKED_OUT"]);
    });

    it("confirmation link with auto-login: GET redirects to the SPA view with the token; POST /confirm/<token> completes it", async () => {
      const email = "spa.confirm@x.test";
      const link = await registerForConfirmLink(t, email);
      const r = await t.app.client().get(pathOf(link));
      assert.equal(r.status, 302);
      const target = new URL(r.location!, "https://app.test");
      assert.equal(target.pathname, "/confirming");
      assert.equal((await t.app.rampart.api.findUser(email))!.confirmedAt, null);
      const spa = t.app.client();
      const done = await spa.post(`/confirm/${target.searchParams.get("token")}`, {
        json: {},
        headers: { "x-csrf-token": await spa.csrf() },
      });
      assert.equal(done.status, 302, done.body);
      assert.equal(new URL(done.location!, "https://app.test").pathname, "/confirmed");
      assert.ok((await t.app.rampart.api.findUser(email))!.confirmedAt);
      assert.ok(await signedInAs(spa));
    });
  });

  describe(`urls.signInLinksOnGet restores FS's GET-signs-in (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50 },
        {
          registration: { enabled: true },
          confirmation: { enabled: true, autoLoginAfterConfirm: true },
          urls: { signInLinksOnGet: true },
        },
      );
    });
    after(() => t.app.close());

    it("the magic link's GET signs in; the confirmation link's GET confirms and signs in", async () => {
      const link = await magicLink(t, "on-get@x.test");
      const c: TestClient = t.app.client();
      const r = await c.get(pathOf(link));
      assert.equal(r.status, 302);
      assert.equal(r.location, "/");
      assert.ok(await signedInAs(c));
      const confirm = await registerForConfirmLink(t, "on-get.confirm@x.test");
      const c2 = t.app.client();
      const r2 = await c2.get(pathOf(confirm));
      assert.equal(r2.status, 302);
      assert.ok(await signedInAs(c2));
    });
  });
}
