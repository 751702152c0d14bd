# bench/lib/hot.sh: what bench/vsgin and bench/ab share, sourced by both: a simulator, the one-feed
# configuration they serve, and a timed wrk run that also reads the server's CPU time. The
# sourcing script sets ROOT, WORK, VEHICLES, CONNS, DURATION and LOG_LEVEL, keeps its background
# processes in PIDS, and names itself in TOOL (for messages).

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -fsS -o /dev/null "$@" 2>/dev/null && return 0; sleep 0.1; done; echo "$TOOL: ${*: -1} never answered" >&2; exit 1; }

# start_sim FEEDGATE_BINARY: starts the simulator (SIM, its port) and makes the feed key (KEY and
# HASH) with the binary's keygen.
start_sim() {
	SIM=$(port)
	"$WORK/hriznsim" --addr "127.0.0.1:$SIM" --vehicles "$VEHICLES" --description-delay 0 >"$WORK/sim.log" 2>&1 & PIDS+=($!)
	local out
	out=$("$1" keygen --name bench 2>/dev/null)
	KEY=$(awk '$1 == "key:" {print $2}' <<<"$out") HASH=$(awk '$1 == "hash:" {print $2}' <<<"$out")
	wait_for -H "X-API-Key: hzk_sim_read" "http://127.0.0.1:$SIM/v1/public/inventory?limit=1"
}

# hot_config FILE PORT: the configuration of one tenant with one google-vehicle-ads feed (key
# HASH) on the simulator, served on PORT.
hot_config() {
	cat >"$1" <<EOF
listen: "127.0.0.1:$2"
public_url: "http://127.0.0.1:$2"
log_level: $LOG_LEVEL
upstream: {base_url: "http://127.0.0.1:$SIM/v1", timeout: 60s, sync: feed}
cache: {fresh_for: 1h, serve_stale_for: 24h, dir: "off"} # no snapshot of an earlier run read back
tenants:
  - id: bench
    upstream_key: hzk_sim_read
    upstream_base_url: "http://127.0.0.1:$SIM/v1"
    dealer:
      name: Bench Motors
      website: "https://bench.example"
      vdp_url: "https://bench.example/inventory/{vin}"
      phone: "+1 217 555 0100"
      store_code: "BM-1"
      address: {street: "1 Main St", city: Springfield, region: IL, postal_code: "62701", country: US}
      latitude: 39.78
      longitude: -89.65
    rate_limit: {per_minute: 1000000000}
    feeds:
      - name: google
        format: google-vehicle-ads
        keys: [{name: bench, hash: "$HASH"}]
EOF
}

# serve_feed FEEDGATE_BINARY NAME: serves hot_config on a free port, fetches the feed once (its
# sync and render) and sets FEED_URL and FEED_PID.
serve_feed() {
	local p
	p=$(port)
	hot_config "$WORK/$2.yaml" "$p"
	"$1" serve --config "$WORK/$2.yaml" >/dev/null 2>"$WORK/$2.err" & PIDS+=($!)
	FEED_PID=$!
	wait_for "http://127.0.0.1:$p/readyz"
	FEED_URL="http://127.0.0.1:$p/feeds/bench/google"
	curl -fsS -o /dev/null -H "X-API-Key: $KEY" "$FEED_URL"
}

# serve_gin FEED_URL: bare Gin answering with FEED_URL's answer; sets GIN_URL and GIN_PID.
serve_gin() {
	local p
	p=$(port)
	"$WORK/baregin" --feed "$KEY=$1" --addr "127.0.0.1:$p" 2>"$WORK/bg.err" & PIDS+=($!)
	GIN_PID=$!
	GIN_URL="http://127.0.0.1:$p/feeds/bench/google"
	wait_for "$GIN_URL"
}

# rps URL ENCODING PID: one wrk run's requests/s, and the server's CPU time per request in µs
# (user + system from /proc/PID/stat; the kernel's share includes the socket writes) after a
# space. wrk takes one thread at one connection (it refuses more threads than connections).
rps() {
	local c0 c1
	c0=$(awk '{print $14 + $15}' "/proc/$3/stat")
	FEED_KEY=$KEY ENCODING=$2 wrk -t"$((CONNS < 2 ? 1 : 2))" -c"$CONNS" -d"$DURATION" -s "$ROOT/bench/wrk/feed.lua" "$1" 2>/dev/null |
		tail -1 >"$WORK/run.json"
	c1=$(awk '{print $14 + $15}' "/proc/$3/stat")
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); n=r["requests"]
print(round(n/(r["duration_us"]/1e6)), round((int(sys.argv[2])-int(sys.argv[3]))/int(sys.argv[4])*1e6/n, 1))' \
		"$WORK/run.json" "$c1" "$c0" "$(getconf CLK_TCK)"
}
