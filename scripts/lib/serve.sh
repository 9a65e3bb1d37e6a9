# Starts `gawah serve` for scripts/load.sh and scripts/soak.sh (sourced).
#
#   start_server NAME GAWAH DATA_DIR WORK_DIR
#
# runs GAWAH serve on 127.0.0.1 with a free port, its stdout through a FIFO in WORK_DIR and its
# stderr in WORK_DIR/serve.err, and waits for the line that gives its address (no sleeping,
# no guessing a port). Sets SERVER (the pid) and URL (without a trailing slash); exits 1,
# saying NAME and showing the server's errors, when it does not start within 300 s.
start_server() {
    local name=$1 gawah=$2 dir=$3 work=$4 line
    mkfifo "$work/serve.out"
    GAWAH_LOG=warn "$gawah" serve --data-dir "$dir" --listen 127.0.0.1:0 \
        >"$work/serve.out" 2>"$work/serve.err" &
    SERVER=$!
    exec 3<"$work/serve.out"
    URL=""
    while IFS= read -r -t 300 line <&3; do
        case "$line" in
            "gawah is serving on "*) URL="${line#gawah is serving on }"; URL="${URL%/}"; break ;;
        esac
    done
    [ -n "$URL" ] || { echo "$name: the server did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
    # Keep reading its output, so that it never blocks on a full pipe.
    cat <&3 >/dev/null &
    echo "server pid $SERVER at $URL" >&2
}
