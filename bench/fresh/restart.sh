#!/usr/bin/env bash
# Restart of the embedded default with 5,000 vehicles: time to the first 200 and upstream calls before it.
. "$(dirname "$0")/lib.sh"
start_sim 19090 5000 sim.log
new_key
mkdir -p store; rm -rf store/*
cat > cfg.yaml <<Y
listen: "127.0.0.1:18080"
public_url: "http://127.0.0.1:18080"
shutdown_delay: 0s
upstream: {base_url: "http://127.0.0.1:19090/v1", sync: full, timeout: 30s}
cache: {fresh_for: 5m, dir: "$PWD/store"}
tenants:
  - id: sunset
    name: Sunset
    upstream_key: hzk_sim_rw
    dealer: {name: Sunset, vdp_url: "https://s.example/{vin}", store_code: S1, address: {street: a, city: b, region: IL, postal_code: "1", country: US}}
    feeds: [{name: export, format: csv, keys: [{name: k, hash: "sha256:$HASH"}]}]
Y
./feedgate serve --config cfg.yaml >gw1.log 2>&1 &
GW=$!
for i in $(seq 1 600); do c=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" http://127.0.0.1:18080/feeds/sunset/export); [ "$c" = 200 ] && break; sleep 0.2; done
echo "first start: status $c after cold sync; sim total $(curl -s http://127.0.0.1:19090/_sim/stats | grep -o '"total":[0-9]*')"
kill -TERM $GW; wait $GW 2>/dev/null
curl -s -X POST http://127.0.0.1:19090/_sim/stats/reset >/dev/null
curl -s -X POST http://127.0.0.1:19090/_sim/faults -d '{"error_rate":1,"error_status":503}' >/dev/null
start=$(date +%s%N)
./feedgate serve --config cfg.yaml >gw2.log 2>&1 &
GW=$!
for i in $(seq 1 2000); do c=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" http://127.0.0.1:18080/feeds/sunset/export 2>/dev/null); [ "$c" = 200 ] && break; sleep 0.01; done
end=$(date +%s%N)
echo "restart with upstream down: status $c, $(( (end-start)/1000000 )) ms from exec to first 200 (includes process start); sim total $(curl -s http://127.0.0.1:19090/_sim/stats | grep -o '"total":[0-9]*')"
kill -TERM $GW $SIM; wait 2>/dev/null
