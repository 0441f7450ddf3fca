import { Hono } from "hono";
import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import {
  authRequired,
  freshRequired,
  loginRequired,
  methodRules,
  rampartRoutes,
  rolesRequired,
  type RampartEnv,
  type RampartOptionalEnv,
} from "../../src/adapters/hono.js";
import {
  adapterScenario,
  howAnswer,
  ITEM_RULES,
  itemsAnswer,
  listening,
  ok,
  REPORT_HEADER,
  REPORT_RULES,
} from "./scenario.js";

adapterScenario(
  "hono",
  async ({ rampart }) => {
    const app = new Hono<RampartEnv>();
    app.use(rampartRoutes(rampart));
    app.get("/health", (c) => c.text("ok"));
    app.get("/api/protected", loginRequired(rampart), (c) =>
      c.json(ok({ email: c.get("rampart").user.email, via: c.get("rampart").mechanism })),
    );
    app.get("/api/me", loginRequired(rampart), (c) => c.json(c.get("rampart").user));
    app.get("/api/how", loginRequired(rampart), (c) => c.json(howAnswer(c.get("rampart"))));
    app.get("/api/how-basic", authRequired(rampart, "basic"), (c) => c.json(howAnswer(c.get("rampart"))));
    app.get("/api/admin", rolesRequired(rampart, "admin"), (c) => c.json(ok({ roles: c.get("rampart").roles })));
    app.get("/api/fresh", freshRequired(rampart, 60), (c) => c.json(ok({ fresh: true })));
    app.post("/api/echo", loginRequired(rampart), async (c) =>
      c.json(ok({ email: c.get("rampart").user.email, body: await c.req.json() })),
    );
    const items = new Hono<RampartOptionalEnv>();
    items.use("/api/items", methodRules(rampart, ITEM_RULES));
    items.get("/api/items", (c) => c.json(itemsAnswer(c.get("rampart"))));
    items.post("/api/items", (c) => c.json(itemsAnswer(c.get("rampart"))));
    items.use("/api/reports", methodRules(rampart, REPORT_RULES));
    items.get("/api/reports", (c) => {
      c.header(REPORT_HEADER, "secret");
      return c.json(ok({ report: "secret" }));
    });
    app.route("/", items);
    return listening(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server);
  },
  { csrfFieldInBody: true, closesAfterHugeUnreadBody: false },
);
