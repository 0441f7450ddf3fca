/**
 * Test fixture: the DDL SQLAlchemy emits for Flask-Security's fsqla_v3 models (User, Role, roles_users) on
 * each dialect, as an existing Flask-Security application would have created it (no fs_token_uniquifier,
 * no ON DELETE CASCADE, no key on roles_users), plus a few rows written the way Flask-Security writes them.
 */
import type { SqlDialect } from "../schema.js";

const USER_COLUMNS = (d: { id: string; bool: string; dt: string; now: string }): string => `
  id ${d.id},
  email VARCHAR(255) NOT NULL,
  username VARCHAR(255),
  password VARCHAR(255),
  active ${d.bool} NOT NULL,
  fs_uniquifier VARCHAR(64) NOT NULL,
  confirmed_at ${d.dt},
  last_login_at ${d.dt},
  current_login_at ${d.dt},
  last_login_ip VARCHAR(64),
  current_login_ip VARCHAR(64),
  login_count INTEGER,
  tf_primary_method VARCHAR(64),
  tf_totp_secret VARCHAR(255),
  tf_phone_number VARCHAR(128),
  create_datetime ${d.dt} DEFAULT ${d.now} NOT NULL,
  update_datetime ${d.dt} DEFAULT ${d.now} NOT NULL,
  us_totp_secrets TEXT,
  us_phone_number VARCHAR(128),
  fs_webauthn_user_handle VARCHAR(64),
  mf_recovery_codes TEXT,
  PRIMARY KEY (id),
  UNIQUE (email),
  UNIQUE (username),
  UNIQUE (fs_uniquifier),
  UNIQUE (us_phone_number),
  UNIQUE (fs_webauthn_user_handle)`;

const ROLE_COLUMNS = (d: { id: string; dt: string; now: string }): string => `
  id ${d.id},
  name VARCHAR(80) NOT NULL,
  description VARCHAR(255),
  permissions TEXT,
  update_datetime ${d.dt} DEFAULT ${d.now} NOT NULL,
  PRIMARY KEY (id),
  UNIQUE (name)`;

export function fsqlaV3Schema(dialect: SqlDialect): string[] {
  const q = dialect === "mysql" ? "`" : '"';
  const d =
    dialect === "sqlite"
      ? { id: "INTEGER NOT NULL", bool: "BOOLEAN", dt: "DATETIME", now: "(CURRENT_TIMESTAMP)" }
      : dialect === "postgres"
        ? { id: "SERIAL NOT NULL", bool: "BOOLEAN", dt: "TIMESTAMP WITHOUT TIME ZONE", now: "now()" }
        : { id: "INTEGER NOT NULL AUTO_INCREMENT", bool: "BOOL", dt: "DATETIME", now: "now()" };
  return [
    `CREATE TABLE role (${ROLE_COLUMNS(d)})`,
    `CREATE TABLE ${q}user${q} (${USER_COLUMNS(d)})`,
    `CREATE TABLE roles_users (
      user_id INTEGER,
      role_id INTEGER,
      FOREIGN KEY(user_id) REFERENCES ${q}user${q} (id),
      FOREIGN KEY(role_id) REFERENCES role (id))`,
  ];
}

export const LEGACY = {
  email: "Legacy.User@Example.com",
  username: "LegacyUser",
  password: "$pbkdf2-sha512$25000$c2FsdA$aGFzaA",
  fsUniquifier: "7f6c3b0e9d2a4e1b8c5f0a3d6e9b2c41",
  createDatetime: new Date("2023-05-06T07:08:09.123Z"),
  confirmedAt: new Date("2023-05-07T10:11:12Z"),
  roleName: "admin",
  permissions: ["read", "write"],
};

/** Rows as Flask-Security writes them: naive UTC datetimes, a comma-separated permission list. */
export function fsqlaV3Seed(dialect: SqlDialect, extraEmail?: string): string[] {
  const q = dialect === "mysql" ? "`" : '"';
  const t = dialect === "postgres" ? "true" : "1";
  const rows = [
    `INSERT INTO role (name, description, permissions, update_datetime)
       VALUES ('${LEGACY.roleName}', 'Administrators', '${LEGACY.permissions.join(",")}', '2023-05-06 07:08:09.123456')`,
    `INSERT INTO ${q}user${q} (email, username, password, active, fs_uniquifier, confirmed_at, create_datetime, update_datetime)
       VALUES ('${LEGACY.email}', '${LEGACY.username}', '${LEGACY.password}', ${t}, '${LEGACY.fsUniquifier}',
               '2023-05-07 10:11:12', '2023-05-06 07:08:09.123456', '2023-05-06 07:08:09.123456')`,
    `INSERT INTO ${q}user${q} (email, active, fs_uniquifier, create_datetime, update_datetime)
       VALUES ('second@example.com', ${t}, 'b2c41f6c3b0e9d2a4e1b8c5f0a3d6e9b', '2023-05-06 07:08:09', '2023-05-06 07:08:09')`,
    `INSERT INTO roles_users (user_id, role_id) VALUES (1, 1)`,
  ];
  if (extraEmail) {
    rows.push(`INSERT INTO ${q}user${q} (email, active, fs_uniquifier, create_datetime, update_datetime)
       VALUES ('${extraEmail}', ${t}, 'c41f6c3b0e9d2a4e1b8c5f0a3d6e9b2b', '2023-05-06 07:08:09', '2023-05-06 07:08:09')`);
  }
  return rows;
}
