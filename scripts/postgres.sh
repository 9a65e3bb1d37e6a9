#!/usr/bin/env bash
# A PostgreSQL 15 server (Debian's package) on 127.0.0.1, for the PostgreSQL store's tests.
#
#   scripts/postgres.sh start DIR    first time: initdb, a role and a database; then start.
#                                    Prints `export ...` lines for the caller to eval.
#   scripts/postgres.sh stop DIR     fast shutdown (state kept: start again, same port)
#   scripts/postgres.sh restart DIR [fast|immediate]
#                                    stop then start on the same port; `immediate` stops the
#                                    way a crash would (no checkpoint; recovery on start)
#
# DIR holds everything: data/ (the cluster), the unix socket, port, postgres.log, env (mode
# 0600: the role's password). The server listens on 127.0.0.1 only, with fsync and
# synchronous commit on, as production would. PostgreSQL refuses to run as root: as root the
# server runs as the unprivileged `postgres` user (made by the Debian package; a system user
# of that name is created if missing) and DIR is handed to it. Readiness is polled with
# `pg_isready`, bounded, never slept for. Installs `postgresql` with apt-get when missing.
#
# The printed URL names role `gawah`, which may create databases: the tests make one per
# test (CREATE DATABASE through this URL) so that they can run in parallel.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
RUN_USER="${GAWAH_PG_USER:-postgres}"
ROLE=gawah
DATABASE=gawah

die() { echo "postgres.sh: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR, or $0 restart DIR [fast|immediate]"; }

# hex, free_port, poll
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"

ensure_installed() {
    [ -x "$PG_BIN/postgres" ] && return
    echo "postgres.sh: installing postgresql (apt-get; once)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    [ -x "$PG_BIN/postgres" ] || die "no PostgreSQL 15 in $PG_BIN after installing postgresql"
}

# Runs "$@" as the server's user: as root, through setpriv; otherwise as we are.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --clear-groups \
            env HOME="$DIR" "$@"
    else
        "$@"
    fi
}

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id "$RUN_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$RUN_USER"
    fi
    chown "$RUN_USER:" "$DIR"
    chmod 0700 "$DIR"
    as_server test -w "$DIR" ||
        die "$RUN_USER cannot reach $DIR: a parent folder is closed to it; choose a DIR under /tmp"
}

pgctl() { as_server "$PG_BIN/pg_ctl" -D "$DIR/data" "$@"; }

ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$DIR/port")" -d postgres; }

server_running() { [ -f "$DIR/data/postmaster.pid" ] && pgctl status >/dev/null 2>&1; }

# First start only: the cluster, its settings, and the superuser's password.
init_cluster() {
    local admin_pw
    admin_pw=$(hex 24)
    printf '%s\n' "$admin_pw" >"$DIR/admin.pw"
    chmod 0600 "$DIR/admin.pw"
    [ "$(id -u)" -ne 0 ] || chown "$RUN_USER:" "$DIR/admin.pw"
    as_server "$PG_BIN/initdb" -D "$DIR/data" -U gawah_admin --pwfile="$DIR/admin.pw" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
        { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    free_port >"$DIR/port"
    # Appended, so these win over the defaults above them.
    cat >>"$DIR/data/postgresql.conf" <<EOF

# scripts/postgres.sh: loopback only, socket in the test dir, durable commits.
listen_addresses = '127.0.0.1'
port = $(cat "$DIR/port")
unix_socket_directories = '$DIR'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 300
logging_collector = off
EOF
}

# First start only: the tests' role (may create databases) and its database.
create_role() {
    local pw port
    pw=$(hex 24)
    port=$(cat "$DIR/port")
    PGPASSWORD=$(cat "$DIR/admin.pw") "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$port" -U gawah_admin -d postgres >/dev/null <<EOF
CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$pw';
CREATE DATABASE $DATABASE OWNER $ROLE;
EOF
    umask 077
    cat >"$DIR/env" <<EOF
export GAWAH_TEST_DATABASE_URL=postgres://$ROLE:$pw@127.0.0.1:$port/$DATABASE
export GAWAH_TEST_PG_DIR=$DIR
EOF
}

start_server() {
    server_running && return
    pgctl -l "$DIR/postgres.log" -W start >/dev/null
    poll 600 ready || { tail -20 "$DIR/postgres.log" >&2; die "PostgreSQL did not become ready"; }
}

start() {
    ensure_installed
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    ensure_user
    [ -f "$DIR/data/PG_VERSION" ] || init_cluster
    start_server
    [ -f "$DIR/env" ] || create_role
    cat "$DIR/env"
}

stop() {
    DIR=$(cd "$DIR" && pwd)
    local mode=${1:-fast}
    if server_running; then
        pgctl -m "$mode" -w -t 60 stop >/dev/null
    fi
}

case "${1:-}" in
    start) [ $# -eq 2 ] || usage; DIR=$2; start ;;
    stop) [ $# -eq 2 ] || usage; DIR=$2; stop ;;
    restart)
        [ $# -eq 2 ] || [ $# -eq 3 ] || usage
        DIR=$2
        case "${3:-fast}" in fast | immediate) ;; *) usage ;; esac
        stop "${3:-fast}"
        start >/dev/null
        ;;
    *) usage ;;
esac
