#!/usr/bin/env bash
# Make sure a RabbitMQ broker accepts connections, starting the locally installed
# one if needed. Host/port: SILTA_AMQP_HOST / SILTA_AMQP_PORT (127.0.0.1:5672);
# how long to wait for a start: SILTA_RABBITMQ_WAIT seconds (60).
set -euo pipefail

host="${SILTA_AMQP_HOST:-127.0.0.1}"
port="${SILTA_AMQP_PORT:-5672}"
wait_s="${SILTA_RABBITMQ_WAIT:-60}"

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/${host}/${port}" 2>/dev/null
}

if port_open; then
    echo "RabbitMQ: ${host}:${port} accepts connections."
    exit 0
fi

not_available() {
    cat >&2 <<EOF
RabbitMQ is not running at ${host}:${port}$1.
  Debian/Ubuntu:     sudo apt-get install rabbitmq-server   (then: sudo systemctl start rabbitmq-server)
  Where Docker runs: docker compose up -d rabbitmq
EOF
    exit 1
}

case "$host" in
    127.0.0.1 | localhost | ::1) ;;
    *) not_available " (not a local address, so it is not started here)" ;;
esac

server="$(command -v rabbitmq-server || true)"
if [[ -z "$server" && -x /usr/sbin/rabbitmq-server ]]; then
    server=/usr/sbin/rabbitmq-server
fi
[[ -n "$server" ]] || not_available " and rabbitmq-server is not installed"

# The Debian wrapper only lets root (or the rabbitmq user) start the broker.
if [[ "$(id -u)" == 0 || "$(id -un)" == rabbitmq ]]; then
    start=("$server" -detached)
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    start=(sudo -n "$server" -detached)
else
    not_available "; starting it needs root: sudo rabbitmq-server -detached"
fi

echo "RabbitMQ: not running at ${host}:${port}; starting: ${start[*]}"
"${start[@]}"

for ((i = 0; i < wait_s; i++)); do
    if port_open; then
        echo "RabbitMQ: up after ${i} s."
        exit 0
    fi
    sleep 1
done
echo "RabbitMQ: started but ${host}:${port} still refuses connections after ${wait_s} s;" \
    "see /var/log/rabbitmq/." >&2
exit 1
