#!/usr/bin/env bash
# Start PostgreSQL and Redis when installed but not answering (CI machines start them already),
# and make sure the `test` database the suite connects to exists.
set -u
up() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  for v in /etc/postgresql/*/; do
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
  done
fi
if ! up 6379 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
fi
for i in $(seq 1 40); do up 5432 && break; sleep 0.5; done
for i in $(seq 1 20); do up 6379 && break; sleep 0.25; done
if up 5432; then
  echo "PostgreSQL: reachable on 127.0.0.1:5432"
  if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' && echo "PostgreSQL: created database test"
  fi
else
  echo "PostgreSQL: not reachable — tests run on SQLite only"
fi
up 6379 && echo "Redis: reachable on 127.0.0.1:6379" || echo "Redis: not reachable — Redis bus tests are skipped"
exit 0
