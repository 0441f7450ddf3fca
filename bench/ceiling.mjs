// The ceiling: a bare Hono app on @hono/node-server (the same stack the standalone server uses) answering
// GET /api/protected with the same JSON and headers as the demo app, and no authentication at all.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const email = process.env.BENCH_EMAIL ?? "user1@bench.test";
const app = new Hono();
app.get("/api/protected", (c) => {
  const via = c.req.header("authentication-token") ? "token" : "session";
  c.header("cache-control", "private, no-store");
  return c.json({ meta: { code: 200 }, response: { message: `Hello ${email}`, via } });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" }, (info) => {
  console.log(`Ceiling listening on http://127.0.0.1:${info.port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
