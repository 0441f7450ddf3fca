// Experiment (not part of `npm run bench`): server RSS of two builds, alternated, on SQLite and PostgreSQL:
// right after start, after one authenticated GET, and after 20 logins (password hashing started).
//   node bench/experiments/rss-builds.mjs <build dir A> <build dir B> [rounds]
import { resolve } from "node:path";
import { postgresDatabase, sqliteDatabase } from "../lib/databases.mjs";
import { rssMb, sleep, startServer, stopServer } from "../lib/procs.mjs";
import { seedUsers, serverEnv, signIn } from "../lib/scenarios.mjs";

const [a, b, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText ?? 2);
const launcher = (dir) => [
  "--input-type=module",
  "-e",
  `const cli = await import(${JSON.stringify(resolve(dir, "cli/index.js"))}); await cli.main([process.argv[0], "rampart", "serve", "--port", "0"]);`,
];
const dbs = [sqliteDatabase(), await postgresDatabase()].filter((db) => !db.skipped);
for (const db of dbs) {
  await seedUsers(db.url, 100);
  for (let round = 0; round < rounds; round++) {
    for (const [label, dir] of [
      ["A", a],
      ["B", b],
    ]) {
      const server = await startServer(label, launcher(dir), serverEnv(db));
      try {
        await sleep(500);
        const fresh = rssMb(server.pid);
        const auth = await signIn(server.url, "user1@bench.test");
        await fetch(`${server.url}/api/protected`, {
          headers: { cookie: auth.sessionCookie, accept: "application/json" },
        });
        await sleep(300);
        const used = rssMb(server.pid);
        for (let i = 0; i < 20; i++) await signIn(server.url, `user${(i % 50) + 1}@bench.test`);
        await sleep(300);
        const hashed = rssMb(server.pid);
        console.log(
          `${db.key} round ${round + 1} ${label}: fresh ${fresh.toFixed(1)} MB, after a GET ${used.toFixed(1)} MB, after 21 logins ${hashed.toFixed(1)} MB`,
        );
      } finally {
        await stopServer(server);
      }
    }
  }
  await db.cleanup();
}
