/**
 * A TCP proxy on loopback in front of a real service (PostgreSQL, MariaDB, Redis, SMTP), for fault tests that
 * must not stop the shared services other tests use. Modes:
 * - "pass": bytes flow both ways (the default);
 * - "refuse": every open connection is cut and new ones are closed at once (the service is down);
 * - "freeze": connections stay open but no byte moves in either direction (a hung or partitioned service);
 *   returning to "pass" lets the held bytes through, as a thawed server would.
 */
import net from "node:net";

export type FaultMode = "pass" | "refuse" | "freeze";

export interface FaultProxy {
  /** Loopback port clients connect to. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string;
  mode(next: FaultMode): void;
  readonly current: FaultMode;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let current: FaultMode = "pass";
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const server = net.createServer((client) => {
    if (current === "refuse") {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
    if (current === "freeze") freeze(pair);
  });
  server.on("error", () => undefined);

  const freeze = (pair: { client: net.Socket; upstream: net.Socket }) => {
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };
  const thaw = (pair: { client: net.Socket; upstream: net.Socket }) => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
    pair.client.resume();
    pair.upstream.resume();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url(url: string): string {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    get current() {
      return current;
    },
    mode(next: FaultMode): void {
      const before = current;
      current = next;
      if (next === "refuse") for (const p of [...pairs]) (p.client.destroy(), p.upstream.destroy());
      else if (next === "freeze" && before !== "freeze") for (const p of pairs) freeze(p);
      else if (next === "pass" && before === "freeze") for (const p of pairs) thaw(p);
    },
    async close(): Promise<void> {
      for (const p of [...pairs]) (p.client.destroy(), p.upstream.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
