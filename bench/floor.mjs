// The floor: the least work any server-side authentication must do per request, with nothing else. Bare Hono
// (like the ceiling) plus, for an auth token, one HMAC-SHA256 check and one indexed user lookup; for a session
// cookie, one SHA-256 and one lookup of the session joined with its user. Same database, same columns, same
// JSON as Rampart.
// Whatever separates this from the ceiling is the price of authenticating at all on this machine.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import pg from "pg";

const USER = `select id, email, username, password, active, fs_uniquifier, fs_token_uniquifier, fs_webauthn_user_handle,
  confirmed_at, last_login_at, current_login_at, last_login_ip, current_login_ip, login_count, tf_primary_method,
  tf_totp_secret, tf_phone_number, us_totp_secrets, us_phone_number, mf_recovery_codes, profile, create_datetime,
  update_datetime from "user"`;
const USER_COLUMNS = USER.slice("select ".length, USER.indexOf(" from"))
  .split(",")
  .map((c) => c.trim());
const SESSION = `select s.id, s.token_hash, s.user_id, s.fs_uniquifier, s.created_at, s.last_active_at, s.expires_at,
  s.authenticated_at, s.grace_expires_at, s.remember, s.ip, s.user_agent, s.csrf_secret, s.authn_via, s.data,
  ${USER_COLUMNS.map((c) => `u.${c} as u_${c}`).join(", ")}
  from "session" s left join "user" u on u.id = s.user_id where s.token_hash = $1`;

const url = process.env.DATABASE_URL;
let query;
if (url.startsWith("sqlite://")) {
  const db = new Database(url.slice("sqlite://".length));
  db.pragma("journal_mode = WAL");
  const statements = new Map();
  query = async (name, text, params) => {
    let s = statements.get(name);
    if (!s) statements.set(name, (s = db.prepare(text.replace(/\$\d/g, "?"))));
    return s.all(...params);
  };
} else {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  query = async (name, text, params) => (await pool.query({ name, text, values: params })).rows;
}

const key = Buffer.from(hkdfSync("sha256", process.env.SECRET_KEY, "rampart-signed-token", "purpose:auth-token", 32));
const sessionCookie = process.env.SESSION_COOKIE_NAME;

async function tokenUser(token) {
  const dot = token.indexOf(".");
  const body = token.slice(0, dot);
  const mac = createHmac("sha256", key).update(body).digest();
  if (!timingSafeEqual(mac, Buffer.from(token.slice(dot + 1), "base64url"))) return null;
  const { uid } = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  const [user] = await query("floor_token_user", `${USER} where fs_token_uniquifier = $1`, [uid]);
  return user?.active ? user : null;
}

async function sessionUser(cookieHeader) {
  const m = cookieHeader.match(new RegExp(`(?:^|; )${sessionCookie.replace(/[$]/g, "\\$&")}=([^;]+)`));
  if (!m) return null;
  const [row] = await query("floor_session", SESSION, [createHash("sha256").update(m[1]).digest("hex")]);
  if (!row || Number(row.expires_at) <= Date.now()) return null;
  return row.u_active && row.u_fs_uniquifier === row.fs_uniquifier ? { email: row.u_email } : null;
}

const app = new Hono();
app.get("/api/protected", async (c) => {
  const token = c.req.header("authentication-token");
  const user = token ? await tokenUser(token) : await sessionUser(c.req.header("cookie") ?? "");
  if (!user) return c.json({ meta: { code: 401 } }, 401);
  c.header("cache-control", "private, no-store");
  return c.json({
    meta: { code: 200 },
    response: { message: `Hello ${user.email}`, via: token ? "token" : "session" },
  });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
  console.log(`Floor listening on http://127.0.0.1:${info.port}`),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
