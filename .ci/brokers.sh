#!/usr/bin/env bash
# Starts throwaway brokers for hooks' destination tests on free loopback
# ports, as the current user, and prints the variables the tests read:
#   eval "$(bash .ci/brokers.sh)"
# HOOKS_TEST_AMQP_URL   RabbitMQ (HOOKS_TEST_AMQP_CTL runs its rabbitmqctl,
#                       which the outage test uses to stop and start it)
# HOOKS_TEST_NATS_URL   nats-server with JetStream
# HOOKS_TEST_REDIS_URL  redis-server
# Debian's rabbitmq-server, nats-server and redis-server are installed if
# missing. RabbitMQ (Erlang) takes seconds to boot: the script returns at
# once, and `bash .ci/brokers.sh wait` waits until it answers.
#   bash .ci/brokers.sh stop   # stops what it started
set -euo pipefail
dir="${HOOKS_BROKERS_DIR:-/tmp/hooks-brokers-$(id -u)}"

if [ "${1:-}" = stop ]; then
  [ -x "$dir/rabbitmqctl" ] && "$dir/rabbitmqctl" stop >/dev/null 2>&1 || true
  for f in "$dir"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  exit 0
fi
if [ "${1:-}" = wait ]; then
  for _ in $(seq 120); do
    if "$dir/rabbitmqctl" await_startup --timeout 1 >/dev/null 2>&1; then exit 0; fi
    sleep 1
  done
  echo "RabbitMQ did not start; see $dir/rabbitmq/log" >&2
  exit 1
fi

need=()
command -v rabbitmq-server >/dev/null || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v nats-server >/dev/null || need+=(nats-server)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # The packages try to start system services; in a container without an
  # init system that fails harmlessly (policy-rc.d).
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1
fi

# free_port prints a TCP port nothing listens on.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }
mkdir -p "$dir"

# Redis: no persistence needed for these tests (the outage tests run their own).
if ! running redis; then
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >&2
  echo "redis://127.0.0.1:$port/0" >"$dir/redis.url"
fi

# NATS with JetStream, its store in $dir.
if ! running nats; then
  port=$(free_port)
  nohup nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir/nats" >"$dir/nats.log" 2>&1 &
  echo $! >"$dir/nats.pid"
  echo "nats://127.0.0.1:$port" >"$dir/nats.url"
fi

# RabbitMQ under its own node name, home and ports, so it neither needs
# nor disturbs a system instance. The real script, not Debian's wrapper,
# which would switch to the rabbitmq user.
rmq_bin=/usr/lib/rabbitmq/bin
if ! running rabbitmq; then
  port=$(free_port)
  dist=$(free_port)
  rm -rf "$dir/rabbitmq"
  mkdir -p "$dir/rabbitmq/home" "$dir/rabbitmq/log"
  : >"$dir/rabbitmq/enabled_plugins"
  cat >"$dir/rabbitmq/env" <<EOF
export HOME="$dir/rabbitmq/home"
export RABBITMQ_NODENAME="hooks-test-$port@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$dist
export RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia"
export RABBITMQ_LOG_BASE="$dir/rabbitmq/log"
export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE=/dev/null
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq"
export RABBITMQ_PID_FILE="$dir/rabbitmq/pid"
EOF
  # Loopback only; the guest user may connect from there by default.
  echo "loopback_users = none" >"$dir/rabbitmq/rabbitmq.conf"
  printf '#!/bin/sh\n. "%s"\nexec %s/rabbitmqctl "$@"\n' "$dir/rabbitmq/env" "$rmq_bin" >"$dir/rabbitmqctl"
  chmod +x "$dir/rabbitmqctl"
  (. "$dir/rabbitmq/env"; nohup "$rmq_bin/rabbitmq-server" >"$dir/rabbitmq/log/stdout" 2>&1 & echo $! >"$dir/rabbitmq.pid")
  echo "amqp://guest:guest@127.0.0.1:$port/" >"$dir/amqp.url"
fi

echo "export HOOKS_TEST_AMQP_URL='$(cat "$dir/amqp.url")'"
echo "export HOOKS_TEST_AMQP_CTL='$dir/rabbitmqctl'"
echo "export HOOKS_TEST_NATS_URL='$(cat "$dir/nats.url")'"
echo "export HOOKS_TEST_REDIS_URL='$(cat "$dir/redis.url")'"
