import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { it } from "node:test";
import { createRequestListener, requestUrl, withGuard, withMethodRules } from "../../src/adapters/node.js";
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

function json(res: ServerResponse, body: unknown): void {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

adapterScenario(
  "node",
  async ({ rampart }) => {
    const { guards } = rampart;
    const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
      "GET /health": (_req, res) => void res.end("ok"),
      "GET /api/protected": withGuard(rampart, guards.loginRequired(), (req, res) =>
        json(res, ok({ email: req.rampart.user.email, via: req.rampart.mechanism })),
      ),
      "GET /api/me": withGuard(rampart, guards.loginRequired(), (req, res) => json(res, req.rampart.user)),
      "GET /api/how": withGuard(rampart, guards.loginRequired(), (req, res) => json(res, howAnswer(req.rampart))),
      "GET /api/how-basic": withGuard(rampart, guards.authRequired("basic"), (req, res) =>
        json(res, howAnswer(req.rampart)),
      ),
      "GET /api/admin": withGuard(rampart, guards.rolesRequired("admin"), (req, res) =>
        json(res, ok({ roles: req.rampart.roles })),
      ),
      "GET /api/fresh": withGuard(rampart, guards.freshRequired(60), (_req, res) => json(res, ok({ fresh: true }))),
      "POST /api/echo": withGuard(rampart, guards.loginRequired(), async (req, res) =>
        json(res, ok({ email: req.rampart.user.email, body: await readJson(req) })),
      ),
    };
    const items = withMethodRules(rampart, ITEM_RULES, (req, res) => json(res, itemsAnswer(req.rampart)));
    routes["GET /api/items"] = items;
    routes["POST /api/items"] = items;
    // Like the frameworks, this app's router answers HEAD with the GET handler.
    const reports = withMethodRules(rampart, REPORT_RULES, (_req, res) => {
      res.setHeader(REPORT_HEADER, "secret");
      json(res, ok({ report: "secret" }));
    });
    routes["GET /api/reports"] = reports;
    routes["HEAD /api/reports"] = reports;
    const fallback = (req: IncomingMessage, res: ServerResponse) => {
      const route = routes[`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`];
      if (route) return route(req, res);
      res.statusCode = 404;
      res.end("app: not found");
    };
    return listening(createServer(createRequestListener(rampart, { fallback })).listen(0, "127.0.0.1"));
  },
  { csrfFieldInBody: false },
);

it("node: the request URL comes from a well-formed Host and the socket's TLS state", () => {
  const fake = (host: string | undefined, url: string, encrypted = false) =>
    ({
      headers: host === undefined ? {} : { host },
      url,
      socket: { encrypted, localAddress: "127.0.0.1", localPort: 8080 },
    }) as unknown as IncomingMessage;
  assert.equal(requestUrl(fake("app.example:3000", "/login?next=%2F")).href, "http://app.example:3000/login?next=%2F");
  assert.equal(requestUrl(fake("app.example", "/login", true)).href, "https://app.example/login");
  assert.equal(
    requestUrl(fake("evil.example/x?", "/login")).href,
    "http://127.0.0.1:8080/login",
    "a malformed Host is not trusted",
  );
  assert.equal(
    requestUrl(fake(undefined, "//evil.example/login")).host,
    "127.0.0.1:8080",
    "a path starting with // stays a path",
  );
  assert.equal(requestUrl(fake("app.example", "http://other.example/login?x=1")).href, "http://app.example/login?x=1");
});

it("node: a body the client cuts off ends the body read with an error instead of leaving it waiting", async () => {
  const { toWebRequest } = await import("../../src/adapters/node.js");
  const { connect } = await import("node:net");
  let settle!: (outcome: string) => void;
  const outcome = new Promise<string>((resolve) => (settle = resolve));
  const server = createServer((req) => {
    toWebRequest(req)
      .text()
      .then(
        () => settle("resolved"),
        () => settle("rejected"),
      );
  }).listen(0, "127.0.0.1");
  const started = await listening(server);
  try {
    const { port } = new URL(started.base);
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(
        'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
      );
      setTimeout(() => socket.destroy(), 50);
    });
    assert.equal(await outcome, "rejected");
  } finally {
    await started.close();
  }
});
