#!/usr/bin/env bash
# Installs (Debian packages, when run as root and missing) and starts the services the tests use, all on
# loopback: PostgreSQL, MariaDB, Redis. Idempotent. Writes their URLs to .test-services.env.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.test-services.env"
: > "$out"

need=()
command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || need+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v oathtool >/dev/null 2>&1 || need+=(oathtool)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/rampart-apt.log 2>&1 \
      || { echo "services: apt-get failed, see /tmp/rampart-apt.log"; tail -20 /tmp/rampart-apt.log; }
  else
    echo "services: missing ${need[*]} (not root: install them yourself); those tests will be skipped"
  fi
fi

# PostgreSQL
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then pg_createcluster "$ver" main >/dev/null 2>&1; fi
  pg_ctlcluster "$ver" main start >/dev/null 2>&1 || true
  for i in $(seq 1 30); do pg_isready -h 127.0.0.1 -q 2>/dev/null && break; sleep 0.5; done
  if pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='rampart') THEN CREATE ROLE rampart LOGIN PASSWORD 'rampart' CREATEDB; END IF; END \\\$\\\$;\"" >/dev/null 2>&1
    su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='rampart_test'\" | grep -q 1 || psql -q -c 'CREATE DATABASE rampart_test OWNER rampart'" >/dev/null 2>&1
    echo "RAMPART_TEST_POSTGRES_URL=postgres://rampart:rampart@127.0.0.1:5432/rampart_test" >> "$out"
    echo "services: postgresql $ver ready"
  else
    echo "services: postgresql did not start"
  fi
fi

# MariaDB
if command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1; then
  if ! mariadb-admin ping >/dev/null 2>&1; then
    (service mariadb start || service mysql start) >/dev/null 2>&1
  fi
  for i in $(seq 1 30); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.5; done
  if mariadb-admin ping >/dev/null 2>&1; then
    mariadb -e "CREATE DATABASE IF NOT EXISTS rampart_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
      CREATE USER IF NOT EXISTS 'rampart'@'127.0.0.1' IDENTIFIED BY 'rampart';
      CREATE USER IF NOT EXISTS 'rampart'@'localhost' IDENTIFIED BY 'rampart';
      GRANT ALL ON \`rampart\\_%\`.* TO 'rampart'@'127.0.0.1'; GRANT ALL ON \`rampart\\_%\`.* TO 'rampart'@'localhost';
      GRANT ALL ON rampart_test.* TO 'rampart'@'127.0.0.1'; GRANT ALL ON rampart_test.* TO 'rampart'@'localhost'; FLUSH PRIVILEGES;" \
      && echo "RAMPART_TEST_MYSQL_URL=mysql://rampart:rampart@127.0.0.1:3306/rampart_test" >> "$out" \
      && echo "services: mariadb ready"
  else
    echo "services: mariadb did not start"
  fi
fi

# Redis
if command -v redis-server >/dev/null 2>&1; then
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' >/dev/null
  for i in $(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.25; done
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && echo "RAMPART_TEST_REDIS_URL=redis://127.0.0.1:6379/15" >> "$out" && echo "services: redis ready"
fi
exit 0
