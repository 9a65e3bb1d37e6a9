#!/usr/bin/env bash
# A single-node Garage (S3-compatible object store) on 127.0.0.1, for the S3 blob tests.
#
#   scripts/garage.sh DIR          start (first time: configure, lay out, make a bucket and a
#   scripts/garage.sh start DIR    key); prints `export ...` lines for the caller to eval
#   scripts/garage.sh stop DIR     stop it (state kept: start again to restart, same ports)
#
# DIR holds everything: garage.toml (mode 0600), meta/, data/, garage.pid, garage.log, env.
# Readiness is polled with a bound, never slept for. Installs Garage with
# `cargo install garage --locked` (into ~/.cargo/bin, outside the repo) when it is missing.
set -euo pipefail

GARAGE_BIN="${GARAGE_BIN:-$HOME/.cargo/bin/garage}"
BUCKET=gawah-test
REGION=garage

die() { echo "garage.sh: $*" >&2; exit 1; }

usage() { die "usage: $0 [start|stop] DIR"; }

# hex, free_port, poll
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"

g() { "$GARAGE_BIN" -c "$DIR/garage.toml" "$@"; }

ensure_binary() {
    if [ ! -x "$GARAGE_BIN" ]; then
        echo "garage.sh: installing Garage (cargo install garage --locked; takes a while, once)" >&2
        cargo install garage --locked >&2
    fi
}

write_config() {
    local rpc s3 admin
    rpc=$(free_port); s3=$(free_port); admin=$(free_port)
    mkdir -p "$DIR/meta" "$DIR/data"
    umask 077
    cat >"$DIR/garage.toml" <<EOF
metadata_dir = "$DIR/meta"
data_dir = "$DIR/data"
db_engine = "lmdb"
replication_factor = 1
# Evidence: a PUT is acknowledged only once its data and metadata are on disk.
metadata_fsync = true
data_fsync = true
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(hex 32)"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin"
EOF
    echo "$s3" >"$DIR/s3.port"
}

server_running() {
    [ -f "$DIR/garage.pid" ] && kill -0 "$(cat "$DIR/garage.pid")" 2>/dev/null
}

start_server() {
    if server_running; then return; fi
    # Not through `g`: $! must be the server itself, not a subshell running a function.
    "$GARAGE_BIN" -c "$DIR/garage.toml" server >>"$DIR/garage.log" 2>&1 &
    echo $! >"$DIR/garage.pid"
    # The RPC side answers first; give it 30 s.
    poll 300 g status || { tail -20 "$DIR/garage.log" >&2; die "Garage did not answer 'garage status'"; }
}

# First start only: one node in zone dc1, a bucket, and a key allowed on it.
set_up() {
    local node key_id secret
    node=$(g node id -q | cut -d@ -f1)
    g layout assign -z dc1 -c 1G "$node" >/dev/null
    g layout apply --version 1 >/dev/null
    # The new layout takes a moment to be active everywhere; bucket creation waits for it.
    poll 300 g bucket create "$BUCKET" || die "could not create bucket $BUCKET"
    key_id="GK$(hex 12)"
    secret="$(hex 32)"
    g key import --yes -n gawah-test "$key_id" "$secret" >/dev/null
    g bucket allow --read --write --owner "$BUCKET" --key gawah-test >/dev/null
    cat >"$DIR/env" <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$DIR/s3.port")
export AWS_REGION=$REGION
export AWS_ALLOW_HTTP=true
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
export GAWAH_TEST_S3_URL=s3://$BUCKET
EOF
}

s3_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$DIR/s3.port")") 2>/dev/null; }

start() {
    ensure_binary
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    [ -f "$DIR/garage.toml" ] || write_config
    start_server
    [ -f "$DIR/env" ] || set_up
    poll 300 s3_listening || die "the S3 API is not listening"
    cat "$DIR/env"
}

stop() {
    if server_running; then
        local pid
        pid=$(cat "$DIR/garage.pid")
        kill "$pid"
        # Wait for it to exit (bounded), then make sure.
        poll 100 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/garage.pid"
}

case "${1:-}" in
    start) [ $# -eq 2 ] || usage; DIR=$2; start ;;
    stop) [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    "") usage ;;
    *) [ $# -eq 1 ] || usage; DIR=$1; start ;;
esac
