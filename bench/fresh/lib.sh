# Sourced by the bench/fresh scripts: the folder of built binaries, a simulator, a fresh key.
# usage: . "$(dirname "$0")/lib.sh"; start_sim PORT VEHICLES LOG; new_key
set -u
cd "${BIN_DIR:?set BIN_DIR to a folder holding built feedgate and hriznsim binaries}"

# start_sim runs the simulator on 127.0.0.1:PORT with VEHICLES vehicles; SIM is its pid.
start_sim() {
	./hriznsim --addr "127.0.0.1:$1" --vehicles "$2" --description-delay 0 >"$3" 2>&1 &
	SIM=$!
	sleep 1
}

# new_key sets KEY to a new feed key and HASH to the hex SHA-256 the configuration stores.
new_key() {
	KEY=$(./feedgate keygen 2>/dev/null | grep -o 'fgk_[A-Za-z0-9]*' | head -1)
	HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
}
