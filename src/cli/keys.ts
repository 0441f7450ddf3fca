/**
 * `rampart keys generate|list|rotate`: the JWT signing key set (RAMPART_JWT_KEYS_FILE). The file holds private
 * keys, so it is written owner-only (0600) and atomically (a reader never sees half a file); nothing here prints
 * a private member.
 */
import { createPublicKey, randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";

import { Command, Option } from "commander";
import { calculateJwkThumbprint, type JWK } from "jose";
import { jwtAlgorithms } from "../core/config/jwt-slice.js";
import { parseDuration } from "../core/config/env-values.js";
import {
  ROLLOUT_ALLOWANCE_SECONDS,
  generateStoredKey,
  rotateKeySet,
  storedKeySetOf,
  withNextKey,
  type JwtAlgorithm,
  type StoredKey,
  type StoredKeySet,
} from "../core/tokens/keys.js";
import { envConfig } from "./context.js";
import { CliError } from "./errors.js";
import { print, table } from "./output.js";

const algOption = () =>
  new Option("--alg <alg>", "signing algorithm of new keys (default RAMPART_JWT_ALGORITHM, else EdDSA)").choices([
    ...jwtAlgorithms,
  ]);
const fileOption = () => new Option("--file <path>", "the key set file (default RAMPART_JWT_KEYS_FILE)");

/** The settings of the environment the keys serve (the JWT lifetime decides how long a retired key verifies). */
function jwtSettings(): {
  alg: JwtAlgorithm;
  file: string | null;
  maxAgeSeconds: number;
  maxAgeFromEnv: boolean;
  toleranceSeconds: number;
} {
  const { config, issues } = envConfig(process.env);
  if (issues.length) throw new CliError(issues.map((i) => `${i.key}: ${i.message}`).join("; "));
  return {
    alg: config.token?.jwt?.algorithm ?? "EdDSA",
    file: config.token?.jwt?.keysFile ?? null,
    maxAgeSeconds: config.token?.jwt?.maxAgeSeconds ?? 300,
    maxAgeFromEnv: config.token?.jwt?.maxAgeSeconds !== undefined,
    toleranceSeconds: config.clock?.futureToleranceSeconds ?? 60,
  };
}

/**
 * How long the retired key keeps verifying. Servers read the key set at start, so an instance not yet restarted
 * keeps signing with the old key after the rotation: the default leaves an hour for the rollout on top of the
 * JWT lifetime; a shorter value than the lifetime (plus clock tolerance) would cut tokens signed at the rotation.
 */
function retireAfterSeconds(settings: ReturnType<typeof jwtSettings>, option: string | undefined): number {
  const floor = settings.maxAgeSeconds + settings.toleranceSeconds;
  if (option === undefined) return floor + ROLLOUT_ALLOWANCE_SECONDS;
  const parsed = parseDuration(option.trim());
  if (!parsed.ok) throw new CliError(`--retire-after: ${parsed.message}`);
  const seconds = parsed.value as number;
  if (seconds < floor)
    throw new CliError(
      `--retire-after ${option} is shorter than RAMPART_JWT_MAX_AGE (${settings.maxAgeSeconds} s) plus the clock tolerance (${settings.toleranceSeconds} s): tokens the old key signs would stop verifying before they expire`,
    );
  return seconds;
}

function readSet(file: string, mustExist: boolean): StoredKeySet {
  if (!existsSync(file)) {
    if (mustExist) throw new CliError(`no key set at ${file} (create one with: rampart keys generate --file ${file})`);
    return { keys: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read the key set ${file}: ${(error as Error).message}`);
  }
  return storedKeySetOf(raw, file);
}

/** Writes the set owner-only through a temporary file and a rename, so the file is never seen half-written. */
function writeSet(file: string, set: StoredKeySet): void {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, JSON.stringify(set, null, 2) + "\n");
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

async function thumbprint(key: StoredKey): Promise<string> {
  const { kty, crv, x, y } = createPublicKey({
    key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y, d: key.d } as never,
    format: "jwk",
  }).export({
    format: "jwk",
  });
  return calculateJwkThumbprint({ kty, crv, x, ...(y ? { y } : {}) } as JWK);
}

export function keysCommand(): Command {
  const keys = new Command("keys").description("JWT signing keys (the key set of RAMPART_JWT_KEYS_FILE).");
  keys.addCommand(
    new Command("generate")
      .description(
        "Add keys to the set: an active key and a next one when the set has no active key, else a next key (published before it signs). Without a file, print a new key set (active + next) for RAMPART_JWT_KEYS.",
      )
      .addOption(algOption())
      .addOption(fileOption())
      .action((opts: { alg?: JwtAlgorithm; file?: string }) => {
        const settings = jwtSettings();
        const alg = opts.alg ?? settings.alg;
        const file = opts.file ?? settings.file;
        const now = new Date();
        // A set starts with an active key and a next one, so that its first rotation promotes a published key.
        if (!file) {
          print(JSON.stringify(withNextKey({ keys: [generateStoredKey(alg, "active", now)] }, alg, now)));
          return;
        }
        const set = readSet(file, false);
        if (!set.keys.some((k) => k.status === "active")) {
          const started = withNextKey({ keys: [...set.keys, generateStoredKey(alg, "active", now)] }, alg, now);
          writeSet(file, started);
          const [active, next] = started.keys.slice(-2);
          print(`Added key ${active!.kid} (${alg}, active) and key ${next!.kid} (${alg}, next) to ${file}`);
          return;
        }
        const key = generateStoredKey(alg, "next", now);
        writeSet(file, { keys: [...set.keys, key] });
        print(`Added key ${key.kid} (${alg}, next) to ${file}`);
      }),
  );
  keys.addCommand(
    new Command("list")
      .description("List the keys: kid, algorithm, status, dates and public thumbprint (never private parts).")
      .addOption(fileOption())
      .action(async (opts: { file?: string }) => {
        const file = opts.file ?? jwtSettings().file;
        if (!file) throw new CliError("give --file or set RAMPART_JWT_KEYS_FILE");
        const set = readSet(file, true);
        const rows = await Promise.all(
          set.keys.map(async (k) => [k.kid, k.alg, k.status, k.created_at, k.retire_after ?? "", await thumbprint(k)]),
        );
        print(table(["KID", "ALG", "STATUS", "CREATED", "RETIRE AFTER", "THUMBPRINT (SHA-256)"], rows));
      }),
  );
  keys.addCommand(
    new Command("rotate")
      .description(
        "Next key becomes active, the active key retires (verifies until --retire-after has passed), retired keys past their date are dropped, and a new next key is added. Restart the servers to apply it: an instance keeps signing with the old key until it restarts.",
      )
      .addOption(algOption())
      .addOption(fileOption())
      .addOption(
        new Option(
          "--retire-after <duration>",
          'how long the retired key keeps verifying, in seconds or "<n> <unit>" (default: RAMPART_JWT_MAX_AGE + RAMPART_CLOCK_FUTURE_TOLERANCE + 1 hour for the rollout; never less than the first two)',
        ),
      )
      .action((opts: { alg?: JwtAlgorithm; file?: string; retireAfter?: string }) => {
        const settings = jwtSettings();
        const file = opts.file ?? settings.file;
        if (!file) throw new CliError("give --file or set RAMPART_JWT_KEYS_FILE");
        const seconds = retireAfterSeconds(settings, opts.retireAfter);
        const set = readSet(file, true);
        const now = new Date();
        const alg = opts.alg ?? settings.alg;
        // The new signer must have been published (and fetched) first: without a next key, add one and stop.
        if (!set.keys.some((k) => k.status === "next")) {
          const withNext = withNextKey(set, alg, now);
          writeSet(file, withNext);
          print(
            `Not rotated: no next key was published yet. Added next key ${withNext.keys.at(-1)!.kid} to ${file}: ` +
              "restart the servers so that they publish it, wait 5 minutes (verifiers cache the JWKS), then run rotate again.",
          );
          return;
        }
        const retired = set.keys.find((k) => k.status === "active");
        const rotated = rotateKeySet(set, { alg, now, retireAfterSeconds: seconds });
        writeSet(file, rotated);
        const active = rotated.keys.find((k) => k.status === "active")!;
        const next = rotated.keys.find((k) => k.status === "next")!;
        print(`Rotated ${file}: ${active.kid} signs now, ${next.kid} is next`);
        if (!retired) return;
        const dropsMs = now.getTime() + seconds * 1000;
        const restartBy = new Date(dropsMs - (settings.maxAgeSeconds + settings.toleranceSeconds) * 1000);
        const assumed = settings.maxAgeFromEnv
          ? `RAMPART_JWT_MAX_AGE=${settings.maxAgeSeconds}`
          : `RAMPART_JWT_MAX_AGE not set: its default ${settings.maxAgeSeconds} s assumed, run with the servers' value`;
        print(
          `${retired.kid} stops verifying at ${new Date(dropsMs).toISOString()} (${assumed}): ` +
            `restart every instance on the new set before ${restartBy.toISOString()}; until it restarts an instance signs with ${retired.kid}.`,
        );
      }),
  );
  return keys;
}
