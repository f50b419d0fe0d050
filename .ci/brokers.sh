#!/usr/bin/env bash
# Starts throwaway brokers for hooks' destination tests on free loopback
# ports, as the current user, and prints the variables the tests read:
#   eval "$(bash .ci/brokers.sh)"
# HOOKS_TEST_AMQP_URL   RabbitMQ
# HOOKS_TEST_AMQP_OUTAGE_URL, HOOKS_TEST_AMQP_OUTAGE_CTL
#                       a second RabbitMQ node and its rabbitmqctl, which the
#                       outage test stops and starts
# HOOKS_TEST_NATS_URL   nats-server with JetStream
# HOOKS_TEST_REDIS_URL  redis-server
# Debian's rabbitmq-server, nats-server and redis-server are installed if
# missing. RabbitMQ (Erlang) takes seconds to boot: the script returns at
# once, and `bash .ci/brokers.sh wait` waits until it answers.
#   bash .ci/brokers.sh stop   # stops what it started
set -euo pipefail
dir="${HOOKS_BROKERS_DIR:-/tmp/hooks-brokers-$(id -u)}"

if [ "${1:-}" = stop ]; then
  for ctl in "$dir"/rabbitmq*-ctl; do [ -x "$ctl" ] && "$ctl" stop >/dev/null 2>&1 || true; done
  for f in "$dir"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  exit 0
fi
if [ "${1:-}" = wait ]; then
  for node in rabbitmq rabbitmq-outage; do
    for try in $(seq 120); do
      if "$dir/$node-ctl" await_startup --timeout 1 >/dev/null 2>&1; then break; fi
      if [ "$try" = 120 ]; then echo "RabbitMQ ($node) did not start; see $dir/$node/log" >&2; exit 1; fi
      sleep 1
    done
  done
  exit 0
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
# The brokers keep the directory they start in as their working directory:
# start them in theirs, not in the caller's (a checkout that may be removed
# while they run, after which RabbitMQ's rabbitmqctl stop_app fails).
cd "$dir"

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
# which would switch to the rabbitmq user. Two nodes: one the tests share,
# and one that the outage test stops and starts, so that no other test
# (another package's, running at the same time) sees that outage.
rmq_bin=/usr/lib/rabbitmq/bin
start_rabbit() {
  local name=$1 port dist home="$dir/$1"
  running "$name" && return 0
  port=$(free_port)
  dist=$(free_port)
  rm -rf "$home"
  mkdir -p "$home/home" "$home/log"
  : >"$home/enabled_plugins"
  {
    echo "export HOME='$home/home'"
    echo "export RABBITMQ_NODENAME='hooks-test-$port@localhost'"
    echo "export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    echo "export RABBITMQ_NODE_PORT=$port"
    echo "export RABBITMQ_DIST_PORT=$dist"
    echo "export RABBITMQ_MNESIA_BASE='$home/mnesia'"
    echo "export RABBITMQ_LOG_BASE='$home/log'"
    echo "export RABBITMQ_ENABLED_PLUGINS_FILE='$home/enabled_plugins'"
    echo "export RABBITMQ_CONF_ENV_FILE=/dev/null"
    echo "export RABBITMQ_CONFIG_FILE='$home/rabbitmq'"
    echo "export RABBITMQ_PID_FILE='$home/pid'"
  } >"$home/env"
  # Loopback only; the guest user may connect from there by default.
  echo "loopback_users = none" >"$home/rabbitmq.conf"
  printf '#!/bin/sh\n. "%s"\nexec %s/rabbitmqctl "$@"\n' "$home/env" "$rmq_bin" >"$dir/$name-ctl"
  chmod +x "$dir/$name-ctl"
  (. "$home/env"; nohup "$rmq_bin/rabbitmq-server" >"$home/log/stdout" 2>&1 & echo $! >"$dir/$name.pid")
  echo "amqp://guest:guest@127.0.0.1:$port/" >"$dir/$name.url"
}
start_rabbit rabbitmq
start_rabbit rabbitmq-outage

echo "export HOOKS_TEST_AMQP_URL='$(cat "$dir/rabbitmq.url")'"
echo "export HOOKS_TEST_AMQP_OUTAGE_URL='$(cat "$dir/rabbitmq-outage.url")'"
echo "export HOOKS_TEST_AMQP_OUTAGE_CTL='$dir/rabbitmq-outage-ctl'"
echo "export HOOKS_TEST_NATS_URL='$(cat "$dir/nats.url")'"
echo "export HOOKS_TEST_REDIS_URL='$(cat "$dir/redis.url")'"
