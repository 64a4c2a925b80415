#!/usr/bin/env bash
# Start what the test suite needs when it is not already running: Redis and PostgreSQL
# on their standard loopback ports (installed from Debian's packages when missing), and
# compose to validate docker-compose.yml.
set -euo pipefail

need_root() { [ "$(id -u)" = 0 ] || { echo "services.sh: $1 is not running and I am not root to start it" >&2; exit 1; }; }

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  need_root redis
  command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/msgrouter-tests.log
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  need_root postgresql
  command -v pg_ctlcluster >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql; }
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

# tests/test_compose.py validates docker-compose.yml with compose itself (no engine needed):
# Debian's docker-compose when the docker compose plugin is missing. Without it the test
# skips, or fails under CI=true, so a failed install is a warning here, not the end.
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; } \
      || echo "services.sh: could not install docker-compose; tests/test_compose.py will skip" >&2
  else
    echo "services.sh: docker-compose is missing and I am not root; tests/test_compose.py will skip" >&2
  fi
fi

# The IMAP tests start a private dovecot of their own (tests/dovecot.py: own config, port and
# mail directory under /tmp); they only need Debian's binary. Without it they skip, or fail
# under CI=true.
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; } \
      || echo "services.sh: could not install dovecot-imapd; the IMAP tests will skip" >&2
  else
    echo "services.sh: dovecot-imapd is missing and I am not root; the IMAP tests will skip" >&2
  fi
fi

for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 0.2
done
echo "services.sh: Redis or PostgreSQL did not come up" >&2
exit 1
