#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for hooks' tests on 127.0.0.1 and
# prints its URL. Debian's postgresql package is installed if missing.
# initdb refuses to run as root, so the cluster belongs to the postgres user.
#   eval "$(bash .ci/postgres.sh)"   # sets HOOKS_TEST_POSTGRES
set -euo pipefail
port="${HOOKS_PG_PORT:-55432}"
dir="${HOOKS_PG_DIR:-/tmp/hooks-pg-$port}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
  # fsync off: the cluster is thrown away, and the tests measure hooks, not the disk.
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2
fi
echo "export HOOKS_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
