/**
 * A redis-server of the test's own (a free loopback port, a temp directory), for tests that stop, freeze,
 * flush or restore Redis without touching the shared one. `snapshot()` saves an RDB copy; `restore(copy)`
 * restarts the server from it — what an operator's restore from backup or a failover to a lagging replica does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Stops the server (no save). */
  stop(): Promise<void>;
  /** Starts it again on the same port from the current dump file (empty when none). */
  start(): Promise<void>;
  /** SAVE now and keep a copy of the dump; returns the copy's path. */
  snapshot(): Promise<string>;
  /** Stop, put `copy` in place of the dump, start: the data is what it was at the snapshot. */
  restore(copy: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, up: boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > deadline) throw new Error(`redis on ${port} did not ${up ? "start" : "stop"}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let snapshots = 0;

  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb", "--save", ""],
      { stdio: "ignore" },
    );
    await waitForPort(port, true);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    c.kill("SIGCONT");
    c.kill("SIGKILL");
    await exited;
    await waitForPort(port, false);
  };
  const cli = async (...args: string[]) => {
    const c = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => c.once("exit", resolve));
    if (code !== 0) throw new Error(`redis-cli ${args.join(" ")} exited ${code}`);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    freeze: () => void child?.kill("SIGSTOP"),
    thaw: () => void child?.kill("SIGCONT"),
    stop,
    start,
    async snapshot() {
      await cli("save");
      const copy = join(dir, `snapshot-${++snapshots}.rdb`);
      await copyFile(join(dir, "dump.rdb"), copy);
      return copy;
    },
    async restore(copy: string) {
      await stop();
      await copyFile(copy, join(dir, "dump.rdb"));
      await start();
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
