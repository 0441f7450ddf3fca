import express from "express";
import type { TestApp } from "../helpers/app.js";
import {
  authRequired,
  freshRequired,
  loginRequired,
  methodRules,
  rampartRouter,
  rolesRequired,
} from "../../src/adapters/express.js";
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

function build({ rampart }: TestApp, parsersFirst: boolean): express.Express {
  const app = express();
  const parsers = [express.json(), express.urlencoded({ extended: false })];
  if (parsersFirst) app.use(...parsers); // the body stream is consumed before Rampart sees the request
  app.use(rampartRouter(rampart));
  if (!parsersFirst) app.use(...parsers);
  app.get("/health", (_req, res) => void res.type("text/plain").send("ok"));
  app.get(
    "/api/protected",
    loginRequired(rampart),
    (req, res) => void res.json(ok({ email: req.rampart!.user.email, via: req.rampart!.mechanism })),
  );
  app.get("/api/me", loginRequired(rampart), (req, res) => void res.json(req.rampart!.user));
  app.get("/api/how", loginRequired(rampart), (req, res) => void res.json(howAnswer(req.rampart!)));
  app.get("/api/how-basic", authRequired(rampart, "basic"), (req, res) => void res.json(howAnswer(req.rampart!)));
  app.get(
    "/api/admin",
    rolesRequired(rampart, "admin"),
    (req, res) => void res.json(ok({ roles: req.rampart!.roles })),
  );
  app.get("/api/fresh", freshRequired(rampart, 60), (_req, res) => void res.json(ok({ fresh: true })));
  app.post(
    "/api/echo",
    loginRequired(rampart),
    (req, res) => void res.json(ok({ email: req.rampart!.user.email, body: req.body })),
  );
  app.get("/api/items", methodRules(rampart, ITEM_RULES), (req, res) => void res.json(itemsAnswer(req.rampart)));
  app.post("/api/items", methodRules(rampart, ITEM_RULES), (req, res) => void res.json(itemsAnswer(req.rampart)));
  app.get("/api/reports", methodRules(rampart, REPORT_RULES), (_req, res) => {
    res.setHeader(REPORT_HEADER, "secret");
    res.json(ok({ report: "secret" }));
  });
  return app;
}

adapterScenario(
  "express (body parsers after the router)",
  async (app) => listening(build(app, false).listen(0, "127.0.0.1")),
  { csrfFieldInBody: true },
);
// Here express.json() reads (and refuses) bodies before Rampart sees them: what it does with a huge one is its own.
adapterScenario(
  "express (express.json() before the router)",
  async (app) => listening(build(app, true).listen(0, "127.0.0.1")),
  { csrfFieldInBody: true, closesAfterHugeUnreadBody: false },
);
