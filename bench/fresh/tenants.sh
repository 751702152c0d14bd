#!/usr/bin/env bash
# Scheduled refresh over many tenants: start-up to all-warm time, upstream calls, resident memory.
# TENANTS (default 1000) tenants of 150 vehicles each, all on the simulator's main site, one CSV
# feed each, refresh.concurrency CONC (default 4), the memory cache.
. "$(dirname "$0")/lib.sh"
TENANTS=${TENANTS:-1000}; CONC=${CONC:-4}
start_sim 19092 150 sim3.log
new_key
{
  echo 'listen: "127.0.0.1:18082"'
  echo 'shutdown_delay: 0s'
  echo 'log_level: warn'
  echo 'upstream: {base_url: "http://127.0.0.1:19092/v1", sync: full, timeout: 30s}'
  echo 'cache: {fresh_for: 5m, dir: "off"}'
  echo "refresh: {mode: scheduled, concurrency: $CONC}"
  echo "admin_keys: [{name: ops, hash: \"sha256:$HASH\"}]"
  echo 'tenants:'
  for i in $(seq 1 "$TENANTS"); do
    echo "  - {id: t$i, name: T$i, upstream_key: hzk_sim_rw, dealer: {name: T, vdp_url: \"https://s.example/{vin}\"}, feeds: [{name: export, format: csv}]}"
  done
} > cfg3.yaml
start=$(date +%s%N)
./feedgate serve --config cfg3.yaml >gw3.log 2>&1 &
GW=$!
warm=0
for i in $(seq 1 3000); do
  warm=$(curl -s http://127.0.0.1:18082/metrics | grep -c '^feedgate_snapshot_vehicles{')
  [ "$warm" -ge "$TENANTS" ] && break
  sleep 0.2
done
end=$(date +%s%N)
rss=$(awk '/VmRSS/{print $2}' /proc/$GW/status)
echo "$TENANTS tenants, concurrency $CONC: all warm after $(( (end-start)/1000000 )) ms; $warm warm; RSS $((rss/1024)) MiB ($((rss/TENANTS)) KiB per tenant); upstream $(curl -s http://127.0.0.1:19092/_sim/stats | grep -o '"total":[0-9]*')"
kill -TERM $GW $SIM; wait 2>/dev/null
