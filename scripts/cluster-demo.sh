#!/usr/bin/env bash
# The three-node cluster on one machine, no Docker: a JetStream nats-server, the simulator (the
# feed, ESI and the zKB API), two ingest nodes (one leads, one stands by) and two edges. Ctrl-C stops
# everything. See docs/DEPLOYMENT.md for the same layout on real machines.
#   scripts/cluster-demo.sh            # ports: NATS 4222, sim 7777, ingest 4101-4102, edges 4201-4202
#   RATE=20 scripts/cluster-demo.sh    # simulator kills per second
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nats-server >/dev/null || { echo "nats-server not found (apt-get install nats-server)" >&2; exit 1; }
[ -f dist/src/cli/main.js ] || make build
RATE=${RATE:-5}
DIR=$(mktemp -d -t wk-cluster-XXXX)
NATS=nats://127.0.0.1:4222
SIM=http://127.0.0.1:7777
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM

nats-server -js -a 127.0.0.1 -p 4222 -sd "$DIR/nats" >"$DIR/nats.log" 2>&1 & pids+=($!)
node dist/src/cli/main.js sim --port 7777 --rate "$RATE" >"$DIR/sim.log" 2>&1 & pids+=($!)
sleep 1
node_args=(--source r2z2 --r2z2-url "$SIM" --esi-url "$SIM" --zkb-url "$SIM" --nats-url "$NATS" --host 127.0.0.1 --status-interval-seconds 0)
for i in 1 2; do
  node dist/src/cli/main.js serve "${node_args[@]}" --role ingest --node-id "ingest-$i" --port "410$i" --db "$DIR/ingest-$i.db" >"$DIR/ingest-$i.log" 2>&1 & pids+=($!)
done
for i in 1 2; do
  node dist/src/cli/main.js serve "${node_args[@]}" --role edge --node-id "edge-$i" --port "420$i" --db "$DIR/edge-$i.db" >"$DIR/edge-$i.log" 2>&1 & pids+=($!)
done
cat <<MSG
Cluster up (logs in $DIR):
  edges:   http://127.0.0.1:4201  http://127.0.0.1:4202   (REST, WebSocket /socket, SSE, dashboard /)
  ingest:  http://127.0.0.1:4101  http://127.0.0.1:4102   (one leads; curl .../status | grep leader)
Try: kill the leading ingest node's process and watch the other take over in /status.
Ctrl-C stops everything.
MSG
wait
