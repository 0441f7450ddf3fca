/**
 * `rampart keys` as an operator runs it (real processes, a temp directory), and a real `rampart serve` signing JWTs
 * with the key set it wrote, verified by another service that knows only the JWKS URL.
 */
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { TestClient } from "../helpers/client.js";
import { cliOk, runCli, startServe, tempDir, TEST_SECRET_KEY, type ServeProcess } from "./helpers.js";

type KeyFile = { keys: { kid: string; alg: string; status: string; retire_after?: string; d: string }[] };

// Each test has its own key file (and database) in the shared temp dir and mostly waits on child processes: they
// run together.
describe("rampart keys", { timeout: 180_000, concurrency: true }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: ServeProcess | undefined;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(async () => {
    await server?.stop();
    await cleanup();
  });
  const read = async (file: string) => JSON.parse(await readFile(file, "utf8")) as KeyFile;

  it("generate writes an owner-only set (an active key and a published next key, then more next keys); list shows no private part; rotate moves them on", async () => {
    const file = join(dir, "jwt keys.json");
    assert.match(
      await cliOk(["keys", "generate", "--file", file], {}),
      /Added key \S+ \(EdDSA, active\) and key \S+ \(EdDSA, next\)/,
    );
    assert.match(await cliOk(["keys", "generate", "--file", file, "--alg", "ES256"], {}), /\(ES256, next\)/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const set = await read(file);
    assert.deepEqual(
      set.keys.map((k) => [k.alg, k.status]),
      [
        ["EdDSA", "active"],
        ["EdDSA", "next"],
        ["ES256", "next"],
      ],
    );
    const listed = await cliOk(["keys", "list"], { RAMPART_JWT_KEYS_FILE: file });
    for (const k of set.keys) {
      assert.match(listed, new RegExp(`${k.kid}\\s+${k.alg}\\s+${k.status}`));
      assert.ok(!listed.includes(k.d), "a private key is never printed");
    }
    assert.match(listed, /THUMBPRINT/);

    const started = Date.now();
    assert.match(await cliOk(["keys", "rotate", "--file", file], { RAMPART_JWT_MAX_AGE: "120" }), /signs now/);
    const rotated = await read(file);
    const [old, promoted, waiting] = rotated.keys;
    assert.equal(old!.kid, set.keys[0]!.kid);
    assert.equal(old!.status, "retiring");
    // Retires after the JWT lifetime, the clock tolerance (60 s by default) and an hour for the rollout.
    const retireIn = Date.parse(old!.retire_after!) - started;
    assert.ok(retireIn >= 3_780_000 && retireIn < 3_800_000, `retire_after in ${retireIn} ms`);
    assert.deepEqual([promoted!.kid, promoted!.status], [set.keys[1]!.kid, "active"]);
    // The other published next key stays next (no new key is needed: one is already published).
    assert.deepEqual([waiting!.kid, waiting!.status], [set.keys[2]!.kid, "next"]);
    assert.equal(rotated.keys.length, 3);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it("rotate never makes a key sign that was not published: a set without a next key gets one and is not rotated", async () => {
    const file = join(dir, "no-next.json");
    await cliOk(["keys", "generate", "--file", file], {});
    const set = await read(file);
    const active = set.keys.find((k) => k.status === "active")!;
    await writeFile(file, JSON.stringify({ keys: [active] }), { mode: 0o600 });
    const printed = await cliOk(["keys", "rotate", "--file", file], {});
    assert.match(printed, /Not rotated: no next key was published yet\. Added next key (\S+)/);
    assert.match(printed, /run rotate again/);
    const after = await read(file);
    assert.deepEqual(
      after.keys.map((k) => [k.kid === active.kid, k.status]),
      [
        [true, "active"],
        [false, "next"],
      ],
      "the active key still signs; the new key only waits to be published",
    );
    // The second run rotates onto the key the first one published.
    assert.match(await cliOk(["keys", "rotate", "--file", file], {}), new RegExp(`${after.keys[1]!.kid} signs now`));
    // Without a file, generate prints a set that is ready to rotate as well.
    const printedSet = JSON.parse(await cliOk(["keys", "generate"], {})) as KeyFile;
    assert.deepEqual(
      printedSet.keys.map((k) => k.status),
      ["active", "next"],
    );
  });

  it("rotate --retire-after: a longer window is kept and printed; one shorter than the JWT lifetime is refused", async () => {
    const file = join(dir, "retire-after.json");
    await cliOk(["keys", "generate", "--file", file], {});
    const before = await read(file);
    const env = { RAMPART_JWT_MAX_AGE: "600" };
    const short = await runCli(["keys", "rotate", "--file", file, "--retire-after", "10 minutes"], env);
    assert.equal(short.code, 2, short.stderr);
    assert.match(short.stderr, /--retire-after 10 minutes is shorter than RAMPART_JWT_MAX_AGE \(600 s\)/);
    assert.equal(short.stderr.trim().split("\n").length, 1, "one line");
    const junk = await runCli(["keys", "rotate", "--file", file, "--retire-after", "soon"], env);
    assert.equal(junk.code, 2, junk.stderr);
    assert.deepEqual(await read(file), before, "a refused rotation leaves the set as it was");

    const started = Date.now();
    const printed = await cliOk(["keys", "rotate", "--file", file, "--retire-after", "2 hours"], env);
    const old = (await read(file)).keys.find((k) => k.kid === before.keys[0]!.kid)!;
    const retireIn = Date.parse(old.retire_after!) - started;
    assert.ok(retireIn >= 7_200_000 && retireIn < 7_220_000, `retire_after in ${retireIn} ms`);
    assert.match(
      printed,
      new RegExp(`${old.kid} stops verifying at ${old.retire_after} \\(RAMPART_JWT_MAX_AGE=600\\)`),
    );
    // The restart deadline leaves the lifetime (600 s) and the tolerance (60 s) before the key drops.
    const restartBy = /restart every instance on the new set before (\S+Z)/.exec(printed)?.[1];
    assert.equal(Date.parse(old.retire_after!) - Date.parse(restartBy!), 660_000);
    // Without the servers' lifetime in the environment the CLI says what it assumed.
    const assumed = await cliOk(["keys", "rotate", "--file", file], {});
    assert.match(assumed, /RAMPART_JWT_MAX_AGE not set: its default 300 s assumed/);
  });

  it("refuses a missing or broken key file with a one-line error and exit 2", async () => {
    const missing = await runCli(["keys", "list", "--file", join(dir, "nope.json")], {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no key set at .*nope\.json \(create one with: rampart keys generate/);
    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ not json");
    const r = await runCli(["keys", "rotate", "--file", broken], {});
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("serve refuses TOKEN_FORMAT=jwt without a usable key set, naming the key", async () => {
    const env = {
      DATABASE_URL: `sqlite://${join(dir, "refuse.db")}`,
      SECRET_KEY: TEST_SECRET_KEY,
      SECURITY_TOKEN_FORMAT: "jwt",
      RAMPART_JWT_AUDIENCE: "api",
      RAMPART_BASE_URL: "https://auth.example.test",
    };
    await cliOk(["migrate"], env);
    const none = await runCli(["serve", "--port", "0"], env);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /RAMPART_JWT_KEYS_FILE \(token\.jwt\.keysFile\)/);
    const onlyNext = join(dir, "only-next.json");
    await cliOk(["keys", "generate", "--file", onlyNext], {});
    const set = await read(onlyNext);
    set.keys[0]!.status = "next";
    await writeFile(onlyNext, JSON.stringify(set));
    const noActive = await runCli(["serve", "--port", "0"], { ...env, RAMPART_JWT_KEYS_FILE: onlyNext });
    assert.equal(noActive.code, 2, noActive.stderr);
    assert.match(
      noActive.stderr,
      /RAMPART_JWT_KEYS_FILE \(token\.jwt\.keysFile\): TOKEN_FORMAT=jwt needs an active key/,
    );
    // `rampart doctor` reports what the server would refuse.
    const doctor = await runCli(["doctor", "--offline"], { ...env, RAMPART_JWT_KEYS_FILE: onlyNext });
    assert.equal(doctor.code, 4, doctor.stdout + doctor.stderr);
    assert.match(
      doctor.stdout,
      /error\s+jwt-keys\s+RAMPART_JWT_KEYS_FILE \(token\.jwt\.keysFile\)\s+TOKEN_FORMAT=jwt needs an active key/,
    );
  });

  it("a real server signs with the active key; another service verifies with its JWKS URL alone", async () => {
    const file = join(dir, "serve-keys.json");
    await cliOk(["keys", "generate", "--file", file], {});
    const env = {
      DATABASE_URL: `sqlite://${join(dir, "serve.db")}`,
      SECRET_KEY: TEST_SECRET_KEY,
      SECURITY_TOKEN_FORMAT: "jwt",
      RAMPART_JWT_AUDIENCE: "orders-api,billing-api",
      RAMPART_JWT_ISSUER: "https://auth.example.test",
      RAMPART_JWT_KEYS_FILE: file,
    };
    await cliOk(["migrate"], env);
    const email = "Key.Holder+serve@Sub.Example.test";
    await cliOk(["users", "create", email, "--password", "a long serve password", "--active"], env);
    server = await startServe(env);
    const login = await new TestClient((r) => fetch(r), server.url).login(
      email,
      "a long serve password",
      {},
      "?include_auth_token",
    );
    assert.equal(login.status, 200, login.body);
    const token = login.json.response.user.authentication_token as string;
    const set = await read(file);
    assert.equal(decodeProtectedHeader(token).kid, set.keys.find((k) => k.status === "active")!.kid);
    const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", server.url));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: "https://auth.example.test",
      audience: "billing-api",
      typ: "at+jwt",
    });
    assert.deepEqual(payload.aud, ["orders-api", "billing-api"]);
    const published = await (await fetch(new URL("/.well-known/jwks.json", server.url))).text();
    assert.deepEqual(JSON.parse(published).keys.length, 2, "active and next");
    assert.doesNotMatch(published, /"d"/);
    assert.equal(await server.stop(), 0);
    server = undefined;
  });
});
