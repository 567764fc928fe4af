#!/usr/bin/env bash
# Start PostgreSQL and Redis when installed but not answering (CI machines start them already).
set -u
up() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! up 6379 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
fi
for i in $(seq 1 20); do up 5432 && break; sleep 0.5; done
up 5432 && echo "PostgreSQL: reachable on 127.0.0.1:5432" || echo "PostgreSQL: not reachable — tests run on SQLite only"
up 6379 && echo "Redis: reachable on 127.0.0.1:6379" || echo "Redis: not reachable"
exit 0
