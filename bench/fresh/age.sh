#!/usr/bin/env bash
# Age of the inventory served to a fetcher that comes every P seconds, fresh_for 5s, scheduled vs on_request.
. "$(dirname "$0")/lib.sh"
P=${P:-10}; N=${N:-6}
start_sim 19091 150 sim2.log
new_key
for mode in scheduled on_request; do
cat > cfg2.yaml <<Y
listen: "127.0.0.1:18081"
public_url: "http://127.0.0.1:18081"
shutdown_delay: 0s
upstream: {base_url: "http://127.0.0.1:19091/v1", sync: full, timeout: 30s}
cache: {fresh_for: 5s, dir: "off"}
refresh: {mode: $mode}
tenants:
  - id: sunset
    name: Sunset
    upstream_key: hzk_sim_rw
    dealer: {name: Sunset, vdp_url: "https://s.example/{vin}", store_code: S1, address: {street: a, city: b, region: IL, postal_code: "1", country: US}}
    feeds: [{name: export, format: csv, keys: [{name: k, hash: "sha256:$HASH"}]}]
Y
./feedgate serve --config cfg2.yaml >gw-$mode.log 2>&1 &
GW=$!
sleep 2
curl -s -o /dev/null -H "X-API-Key: $KEY" http://127.0.0.1:18081/feeds/sunset/export
current=0; ages=""
for i in $(seq 1 $N); do
  curl -s -X POST http://127.0.0.1:19091/_sim/inventory -d '{"change":3}' >/dev/null   # prices change right after each fetch
  sleep $P
  out=$(curl -s -D - -o body.csv -H "X-API-Key: $KEY" http://127.0.0.1:18081/feeds/sunset/export)
  age=$(printf '%s' "$out" | grep -i '^age:' | tr -d '\r' | awk '{print $2}')
  st=$(printf '%s' "$out" | grep -i '^cache-status:' | tr -d '\r' | cut -d' ' -f2-)
  ages="$ages $age"
  echo "$mode fetch $i: Age $age, Cache-Status: $st"
done
kill -TERM $GW; wait $GW 2>/dev/null
done
kill $SIM
