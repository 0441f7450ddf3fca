import Fastify from "fastify";
import {
  authRequired,
  freshRequired,
  loginRequired,
  methodRules,
  rampartPlugin,
  rolesRequired,
} from "../../src/adapters/fastify.js";
import { adapterScenario, howAnswer, ITEM_RULES, itemsAnswer, ok, REPORT_HEADER, REPORT_RULES } from "./scenario.js";

adapterScenario(
  "fastify",
  async ({ rampart }) => {
    const app = Fastify();
    await app.register(rampartPlugin, { rampart });
    app.get("/health", async (_req, reply) => reply.type("text/plain").send("ok"));
    app.get("/api/protected", { preHandler: loginRequired(rampart) }, async (req) =>
      ok({ email: req.rampart!.user.email, via: req.rampart!.mechanism }),
    );
    app.get("/api/me", { preHandler: loginRequired(rampart) }, async (req) => req.rampart!.user);
    app.get("/api/how", { preHandler: loginRequired(rampart) }, async (req) => howAnswer(req.rampart!));
    app.get("/api/how-basic", { preHandler: authRequired(rampart, "basic") }, async (req) => howAnswer(req.rampart!));
    app.get("/api/admin", { preHandler: rolesRequired(rampart, "admin") }, async (req) =>
      ok({ roles: req.rampart!.roles }),
    );
    app.get("/api/fresh", { preHandler: freshRequired(rampart, 60) }, async () => ok({ fresh: true }));
    app.post("/api/echo", { preHandler: loginRequired(rampart) }, async (req) =>
      ok({ email: req.rampart!.user.email, body: req.body }),
    );
    app.get("/api/items", { preHandler: methodRules(rampart, ITEM_RULES) }, async (req) => itemsAnswer(req.rampart));
    app.post("/api/items", { preHandler: methodRules(rampart, ITEM_RULES) }, async (req) => itemsAnswer(req.rampart));
    app.get("/api/reports", { preHandler: methodRules(rampart, REPORT_RULES) }, async (_req, reply) => {
      void reply.header(REPORT_HEADER, "secret");
      return ok({ report: "secret" });
    });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    return { base: address, close: () => app.close() };
  },
  { csrfFieldInBody: true },
);
