# Helpers shared by scripts/garage.sh and scripts/postgres.sh (sourced; the caller defines
# `die MESSAGE`).

# $1 random bytes as lowercase hex.
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# A port nothing listens on: random in 20000-59999, checked with a connect attempt.
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

# Polls "$@" until it succeeds, at most $1 tenths of a second.
poll() {
    local tenths=$1
    shift
    for _ in $(seq 1 "$tenths"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}
