/**
 * Look-alike usernames (Unicode TR39): "аlice" (Cyrillic а) mixes scripts and is refused; "alıce", "ɑlice",
 * "a1ice" and an all-Cyrillic "сосо" look like names already taken and are refused as taken — at
 * registration (JSON, HTML form, generic responses), change-username and api.createUser, on every database.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../helpers/app.js";
import { ApiError } from "../../src/core/api.js";
import { DuplicateError } from "../../src/datastore/contracts.js";
import { usernameFeature } from "../../src/features/username/index.js";
import {
  PASSWORD,
  csrfFrom,
  flowApp,
  register,
  registration,
} from "../../src/features/registration/testing/support.js";

const CYRILLIC_A = "\u0430";
const DOTLESS_I = "\u0131";
const LATIN_ALPHA = "\u0251";

for (const dialect of flowDialects()) {
  describe(`confusable usernames (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    const email = () => `u${++n}@x.test`;
    before(async () => {
      app = await flowApp({
        dialect,
        confirmation: false,
        features: [usernameFeature],
        config: {
          returnGenericResponses: false,
          username: { enable: true },
          usernameFeatures: { changeUsername: true },
        },
      });
      for (const username of ["alice", "coco"])
        assert.equal((await register(app.client(), registration(email(), { username }))).status, 200);
    });
    after(() => app.close());

    const usernameErrors = async (username: string) => {
      const r = await register(app.client(), registration(email(), { username }));
      assert.equal(r.status, 400, `${username}: ${r.body}`);
      return {
        codes: r.json.response.error_codes as string[],
        texts: r.json.response.field_errors.username as string[],
      };
    };

    it("a name mixing scripts is refused (JSON)", async () => {
      for (const username of [`${CYRILLIC_A}lice`, "b\u043eb1", "\u0391lice", "\u0416\u0430\u043d\u043d\u0430K"]) {
        assert.deepEqual(
          await usernameErrors(username),
          { codes: ["USERNAME_MIXED_SCRIPT"], texts: ["Username cannot mix letters of different alphabets"] },
          username,
        );
      }
    });

    it("a name that looks like a taken one is taken (JSON), one script or not", async () => {
      for (const username of [`al${DOTLESS_I}ce`, `${LATIN_ALPHA}lice`, "a1ice", "ALICE", "\u0441\u043e\u0441\u043e"]) {
        const { codes, texts } = await usernameErrors(username);
        assert.deepEqual(codes, ["USERNAME_ALREADY_ASSOCIATED"], username);
        assert.deepEqual(texts, [`${username.normalize("NFKD")} is already associated with an account.`], username);
      }
      assert.equal(await app.rampart.datastore.users.count(), 2, "no look-alike was created");
    });

    it("names in one script, accented names and Latin with Han/kana are fine", async () => {
      for (const username of ["Жанна", "Zoë", "田中taro", "Αλίκη", "alicia"]) {
        const r = await register(app.client(), registration(email(), { username }));
        assert.equal(r.status, 200, `${username}: ${r.body}`);
      }
    });

    it("the HTML form shows the message under the username field", async () => {
      const c = app.client();
      const page = await c.get("/register");
      const r = await c.post("/register", {
        form: {
          email: email(),
          username: `al${DOTLESS_I}ce`,
          password: PASSWORD,
          password_confirm: PASSWORD,
          csrf_token: csrfFrom(page.body),
        },
      });
      assert.equal(r.status, 200);
      assert.match(r.body, /id="username-errors"><li>al\u0131ce is already associated with an account\.<\/li>/);
      const mixed = await c.post("/register", {
        form: {
          email: email(),
          username: `${CYRILLIC_A}lice`,
          password: PASSWORD,
          password_confirm: PASSWORD,
          csrf_token: csrfFrom(r.body),
        },
      });
      assert.match(mixed.body, /id="username-errors"><li>Username cannot mix letters of different alphabets<\/li>/);
    });

    it("change-username refuses a look-alike of another's name and a mixed name", async () => {
      const address = email();
      await app.rampart.api.createUser({ email: address, password: PASSWORD, username: "bobby" });
      const c = app.client();
      const login = await c.login(address, PASSWORD);
      const csrf = login.json.response.csrf_token as string;
      const change = (username: string) =>
        c.post("/change-username", { json: { username }, headers: { "x-csrf-token": csrf } });
      const taken = await change(`${LATIN_ALPHA}lice`);
      assert.equal(taken.status, 400, taken.body);
      assert.deepEqual(taken.json.response.error_codes, ["USERNAME_ALREADY_ASSOCIATED"]);
      const mixed = await change(`b${"\u043e"}bby`);
      assert.deepEqual(mixed.json.response.error_codes, ["USERNAME_MIXED_SCRIPT"]);
      const fresh = await change("robert");
      assert.equal(fresh.status, 200, fresh.body);
    });

    it("api.createUser: a mixed name is a policy error, a look-alike a duplicate username", async () => {
      await assert.rejects(
        app.rampart.api.createUser({ email: email(), username: `${CYRILLIC_A}lice` }),
        (e) => e instanceof ApiError && e.code === "USERNAME_MIXED_SCRIPT",
      );
      await assert.rejects(
        app.rampart.api.createUser({ email: email(), username: `al${DOTLESS_I}ce` }),
        (e) => e instanceof DuplicateError && e.field === "username",
      );
    });
  });
}

describe("confusable usernames with generic responses (the default)", () => {
  let app: TestApp;
  before(async () => {
    app = await flowApp({ confirmation: false, config: { username: { enable: true } } });
    await app.rampart.api.createUser({ email: "owner@x.test", password: PASSWORD, username: "alice" });
  });
  after(() => app.close());

  it("a look-alike of a taken name answers like a registration, creates nothing, and tells the address the name is taken", async () => {
    const r = await register(app.client(), registration("second@x.test", { username: `al${DOTLESS_I}ce` }));
    assert.equal(r.status, 200, r.body);
    assert.equal(await app.rampart.api.findUser("second@x.test"), null);
    const mail = await app.sink.waitFor((m) => m.envelopeTo.includes("second@x.test"));
    assert.match(mail.text, /which is already associated with an account/);
  });
});
