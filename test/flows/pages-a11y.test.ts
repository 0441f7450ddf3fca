import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Reply, TestClient } from "../helpers/client.js";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { field } from "../../src/pages/kit.js";
import { createUsApp, post, signedIn, type UsApp } from "../../src/features/unified-signin/testing/kit.js";
import { createTfApp, PASSWORD as TF_PASSWORD } from "../../src/features/two-factor/testing/kit.js";

/** The HTML pages as a screen reader or a phone meets them; and what the unified sign-in page claims. */
const csrfOf = (page: string) => /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;

/** Every id on the page is unique and every label points at exactly one element. */
function assertLabelsResolve(page: string): void {
  const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(dupes, [], "ids are unique");
  for (const m of page.matchAll(/<label for="([^"]+)"/g))
    assert.ok(ids.includes(m[1]!), `label for="${m[1]}" has its input`);
}

/** The input named `name` and the element its aria-describedby points at. */
function describedErrors(page: string, name: string): string {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(page)?.[0];
  assert.ok(input, `an input named ${name}`);
  const ref = /aria-describedby="([^"]+)"/.exec(input!)?.[1];
  assert.ok(ref, `input ${name} is tied to its errors: ${input}`);
  assert.match(input!, /aria-invalid="true"/);
  const list = new RegExp(`<ul class="errors" id="${ref}">([\\s\\S]*?)</ul>`).exec(page);
  assert.ok(list, `#${ref} exists`);
  return list![1]!;
}

describe("form errors are tied to their inputs (login page)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ config: { returnGenericResponses: false } });
    await app.rampart.api.createUser({
      email: "dana-o.brien+test@Sub.Example.test",
      password: "correct horse battery",
    });
  });
  after(() => app?.close());

  it("a wrong password: the password input's aria-describedby names the list that holds its error", async () => {
    const c = app.client();
    const page = await c.get("/login");
    const r = await c.post("/login", {
      form: {
        email: "dana-o.brien+test@sub.example.test",
        password: "not the password",
        csrf_token: csrfOf(page.body),
      },
    });
    assert.equal(r.status, 200);
    assert.match(describedErrors(r.body, "password"), /Invalid password/);
    assert.doesNotMatch(
      new RegExp(`<input[^>]*name="email"[^>]*>`).exec(r.body)![0],
      /aria-invalid/,
      "the email field has no error",
    );
    assertLabelsResolve(r.body);
  });

  it("the kit: code inputs ask for digits and one-time codes", () => {
    const code = field({ name: "code", label: "Code", autocomplete: "one-time-code" }).value;
    assert.match(code, /inputmode="numeric"/);
    assert.match(code, /autocomplete="one-time-code"/);
    assert.doesNotMatch(
      field({ name: "code", label: "Recovery code", autocomplete: "off" }).value,
      /inputmode/,
      "recovery codes are not digits",
    );
  });
});

for (const dialect of flowDialects()) {
  describe(`unified sign-in pages (${dialect})`, { timeout: 60_000 }, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(dialect, {}, { freshness: { withinSeconds: 600 }, returnGenericResponses: true });
    });
    after(() => t?.app.close());

    async function sendFromPage(c: TestClient, identity: string): Promise<Reply> {
      const page = await c.get("/us-signin");
      return c.post("/us-signin/send-code", {
        form: { identity, chosen_method: "email", csrf_token: csrfOf(page.body) },
      });
    }

    it("/us-signin repeats no id, so every input keeps its label", async () => {
      const page = await t.app.client().get("/us-signin");
      assert.equal(page.status, 200);
      assertLabelsResolve(page.body);
    });

    it("generic mode never claims a code was sent: unknown and known identities read the same", async () => {
      await t.app.rampart.api.createUser({ email: "known.user@x.test", password: "correct horse battery" });
      const unknown = await sendFromPage(t.app.client(), "nobody-here@x.test");
      const known = await sendFromPage(t.app.client(), "known.user@x.test");
      for (const r of [unknown, known]) {
        assert.equal(r.status, 200, r.body);
        assert.match(r.body, /If that identity is in our system, you were sent a code\./);
        assert.doesNotMatch(r.body, /Code has been sent\./);
      }
    });

    it("a wrong code while setting up an authenticator keeps the QR code on the page", async () => {
      const c = await signedIn(t, "qr-user@x.test");
      const start = await post(c, "/us-setup", { chosen_method: "authenticator" });
      assert.equal(start.status, 200, start.body);
      const state = start.json.response.state as string;
      const page = await c.get("/us-setup");
      const wrong = await c.post(`/us-setup/${state}`, { form: { passcode: "000000", csrf_token: csrfOf(page.body) } });
      assert.equal(wrong.status, 200, wrong.body);
      assert.match(wrong.body, /<img src="data:image\/png;base64,[^"]+" alt="QR code/, "the QR code is still there");
      assert.match(wrong.body, new RegExp(`Key: <code>${start.json.response.authr_key}</code>`));
      assert.match(describedErrors(wrong.body, "passcode"), /not valid/);
      assert.match(
        wrong.body,
        /<input id="passcode" type="text" name="passcode" value="" autocomplete="one-time-code" inputmode="numeric"/,
      );
    });
  });
}

describe("two-factor set-up page (sqlite)", () => {
  let t: Awaited<ReturnType<typeof createTfApp>>;
  before(async () => {
    t = await createTfApp("sqlite", { required: true });
    await t.app.rampart.api.createUser({ email: "scan-later+tf@x.test", password: TF_PASSWORD });
  });
  after(() => t?.app.close());

  it("a wrong code while setting up an authenticator shows the same QR code and key again", async () => {
    const c = t.app.client();
    const login = await c.post("/login", {
      form: { email: "scan-later+tf@x.test", password: TF_PASSWORD, csrf_token: await c.csrf() },
    });
    assert.equal(login.status, 302, login.body);
    const page = await c.get("/tf-setup");
    const setup = await c.post("/tf-setup", { form: { setup: "authenticator", csrf_token: csrfOf(page.body) } });
    assert.equal(setup.status, 200, setup.body);
    const key = /<code>([A-Z2-7]+)<\/code>/.exec(setup.body)![1]!;
    const codeCsrf = /id="tf-code-form"[\s\S]*?name="csrf_token" value="([^"]+)"/.exec(setup.body)![1]!;
    assert.match(
      setup.body,
      /<input id="code" type="text" name="code" value="" autocomplete="one-time-code" inputmode="numeric"/,
    );
    const wrong = await c.post("/tf-validate", { form: { code: "000000", csrf_token: codeCsrf } });
    assert.equal(wrong.status, 200, wrong.body);
    assert.match(wrong.body, /<img src="data:image\/png;base64,[^"]+" alt="QR code/, "the QR code is still there");
    assert.match(wrong.body, new RegExp(`Key: <code>${key}</code>`), "the same key");
    assert.match(describedErrors(wrong.body, "code"), /Invalid code/);
  });
});
