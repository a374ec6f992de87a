#!/usr/bin/env bash
# pgcluster.sh — a private, throwaway PostgreSQL cluster for tests, `make run` and benchmarks.
#
#   pgcluster.sh start   DIR   initdb (if needed) + start; create role/db `phoneauth`;
#                              write DIR/env; print DATABASE_URL on stdout (nothing else).
#   pgcluster.sh stop    DIR   fast shutdown (ok if already stopped or DIR missing)
#   pgcluster.sh destroy DIR   stop, then rm -rf DIR
#   pgcluster.sh pause   DIR   fast shutdown, keeping everything (port included)
#   pgcluster.sh resume  DIR   start again on the same port (fails if the port is taken);
#                              prints DATABASE_URL like start
#   pgcluster.sh status  DIR   exit 0 if running, 3 if stopped, 4 if no cluster
#   pgcluster.sh url     DIR   print DATABASE_URL from DIR/env
#   pgcluster.sh newdb   DIR NAME  (re)create database NAME owned by role phoneauth in a running
#                              cluster and print its URL — a fresh database per test, since
#                              audit_events is append-only and cannot be TRUNCATEd between tests
#
# DIR/env (sourced by shells, read by fixtures):
#   export DATABASE_URL='postgresql:///phoneauth?host=DIR&port=PORT&user=phoneauth'
#   export PGHOST='DIR' PGPORT=PORT
#   export DATABASE_SUPERUSER_URL='postgresql:///phoneauth?host=DIR&port=PORT&user=postgres'
#
# Environment: PGPORT_WANTED=N forces the TCP port (127.0.0.1); otherwise a free one is picked.
# PG_BINDIR overrides the server binary directory.
# Run as root, the server binaries run as the `postgres` user via runuser; otherwise directly.
set -euo pipefail

PROG=${0##*/}
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

usage() {
    echo "usage: $PROG {start|stop|destroy|pause|resume|status|url} DIR" >&2
    echo "       $PROG newdb DIR NAME" >&2
    exit 2
}

[ $# -ge 2 ] || usage
CMD=$1
DIR_ARG=$2
DBNAME=${3:-}
if [ "$CMD" = newdb ]; then [ $# -eq 3 ] || usage; else [ $# -eq 2 ] || usage; fi
[ -n "$DIR_ARG" ] || usage

# Our own libpq/pg_ctl invocations use explicit options; inherited PG* variables must not
# redirect them (PGPORT in particular changes the server's default port).
WANTED_PORT=${PGPORT_WANTED:-}
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGDATA PGSERVICE PGSERVICEFILE \
      PGPASSWORD PGPASSFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS PGAPPNAME 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# server binaries: Debian's pg_config --bindir points at the client dir, so look for the server.
find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/pg_ctl" ] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        echo "$PG_BINDIR"; return
    fi
    if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
        echo /usr/lib/postgresql/15/bin; return
    fi
    local best
    # shellcheck disable=SC2012
    best=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n1 || true)
    if [ -n "$best" ] && [ -x "$best/pg_ctl" ]; then echo "$best"; return; fi
    # non-Debian layouts: pg_ctl on PATH or next to pg_config
    if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; then
        pg_config --bindir; return
    fi
    die "cannot find PostgreSQL server binaries (initdb/pg_ctl); set PG_BINDIR"
}

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
PGOS_USER=postgres   # OS user the server runs as when we are root

# run a server binary as the right OS user
as_pg() {
    if [ "$IS_ROOT" -eq 1 ]; then
        runuser -u "$PGOS_USER" -- "$@"
    else
        "$@"
    fi
}

# ---------------------------------------------------------------------------------------------
# resolve DIR to an absolute path (it may not exist yet)
abs_path() {
    local p=$1
    case "$p" in /*) ;; *) p="$PWD/$p" ;; esac
    # normalise without requiring existence: create-then-resolve is done by the caller
    echo "$p"
}

DIR=$(abs_path "$DIR_ARG")
case "$DIR" in
    / | //) die "refusing to use / as cluster dir" ;;
esac
# libpq/unix_socket_directories separate lists with commas; keep the path plain.
case "$DIR" in *,*|*\'*|*\"*|*$'\n'*) die "cluster dir must not contain , ' \" or newlines: $DIR" ;; esac
if [ -d "$DIR" ]; then DIR=$(cd "$DIR" && pwd -P); fi

DATA="$DIR/data"
LOGFILE="$DIR/postgres.log"
ENVFILE="$DIR/env"
MARKER="$DIR/.pgcluster"
CONF_INCLUDE="pgcluster.conf"   # inside DATA, regenerated on every start

# percent-encode a value for a libpq URI query parameter ('/' is fine as is)
uri_enc() {
    local LC_ALL=C s=$1 out='' c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case "$c" in
            [A-Za-z0-9/._~-]) out+=$c ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    echo "$out"
}

# exit status of pg_ctl status: 0 running, 3 stopped, 4 no data dir
pg_status() {
    [ -f "$DATA/PG_VERSION" ] || return 4
    local rc=0
    as_pg "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1 || rc=$?
    return $rc
}

# port of the running server (postmaster.pid line 4), else the configured one
current_port() {
    local p
    p=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)
    if [ -z "$p" ] && [ -f "$DIR/port" ]; then p=$(cat "$DIR/port"); fi
    echo "$p"
}

port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
    fi
}

pick_port() {
    local p i
    # below the Linux ephemeral range (32768+) so outgoing connections don't grab it first
    for i in $(seq 1 200); do
        p=$(( 15000 + (RANDOM * 32768 + RANDOM) % 17000 ))
        port_in_use "$p" || { echo "$p"; return; }
    done
    die "no free TCP port found"
}

# Make DIR usable by the postgres OS user when we are root: own DIR, traversable parents.
fix_perms() {
    [ "$IS_ROOT" -eq 1 ] || return 0
    chown "$PGOS_USER:" "$DIR"
    chmod 0755 "$DIR"   # clients of other users must reach the socket in DIR
    local d=$DIR
    while [ "$d" != "/" ]; do
        d=$(dirname "$d")
        if ! runuser -u "$PGOS_USER" -- test -x "$d"; then
            log "chmod o+x $d (so the postgres user can reach $DIR)"
            chmod o+x "$d"
        fi
    done
    runuser -u "$PGOS_USER" -- test -w "$DIR" || die "postgres user cannot write $DIR"
}

do_initdb() {
    local loc=C
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then loc=C.UTF-8; fi
    log "initdb in $DATA (locale $loc)"
    if ! as_pg "$BINDIR/initdb" -D "$DATA" -A trust --nosync -U postgres -E UTF8 \
            --locale="$loc" >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        die "initdb failed"
    fi
    echo "include_if_exists = '$CONF_INCLUDE'" >>"$DATA/postgresql.conf"
}

write_conf() {
    local port=$1 f="$DATA/$CONF_INCLUDE"
    cat >"$f.tmp" <<EOF
# written by $PROG on every start; edits are lost
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
unix_socket_permissions = 0777
# throwaway cluster: durability off, speed on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 128MB
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
EOF
    if [ "$IS_ROOT" -eq 1 ]; then chown "$PGOS_USER:" "$f.tmp"; fi
    chmod 0600 "$f.tmp"
    mv -f "$f.tmp" "$f"
    echo "$port" >"$DIR/port"
}

# start the server on $1; returns 1 (after printing why) if it could not start
pg_start_on() {
    local port=$1
    write_conf "$port"
    LOG_OFFSET=$(stat -c %s "$LOGFILE" 2>/dev/null || echo 0)
    # fd 9 (our flock) must not leak into the postmaster, or the lock would be held forever
    if as_pg "$BINDIR/pg_ctl" start -w -t 30 -D "$DATA" -l "$LOGFILE" -s 9>&- >&2; then
        return 0
    fi
    return 1
}

LOG_OFFSET=0
# did the last start attempt (log lines written since LOG_OFFSET) fail to bind its port?
bind_failed_recently() {
    tail -c +"$((LOG_OFFSET + 1))" "$LOGFILE" 2>/dev/null | grep -qE 'could not (bind|create listen socket)|Address already in use'
}

start_server() {
    local mode=$1 port   # mode: start (may pick a new port) | resume (same port only)
    if [ -n "$WANTED_PORT" ]; then
        port=$WANTED_PORT
    else
        port=''
        if [ -f "$DIR/port" ]; then port=$(cat "$DIR/port"); fi
    fi
    if [ -z "$port" ]; then port=$(pick_port); fi
    for _ in 1 2 3 4 5 6; do
        if [ "$mode" = start ] && [ -z "$WANTED_PORT" ] && port_in_use "$port"; then
            port=$(pick_port)
        fi
        if pg_start_on "$port"; then return 0; fi
        if [ "$mode" = start ] && [ -z "$WANTED_PORT" ] && bind_failed_recently; then
            log "port $port was taken, retrying with another"
            port=$(pick_port)
            continue
        fi
        tail -c +"$((LOG_OFFSET + 1))" "$LOGFILE" 2>/dev/null | tail -n 30 >&2 || true
        die "could not start PostgreSQL in $DATA on port $port (log: $LOGFILE)"
    done
    die "could not find a port to start PostgreSQL on"
}

psql_su() {
    local port=$1; shift
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -U postgres -d postgres "$@"
}

ensure_role_db() {
    local port=$1
    psql_su "$port" <<'SQL' >/dev/null
SELECT 'CREATE ROLE phoneauth LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phoneauth') \gexec
SELECT 'CREATE DATABASE phoneauth OWNER phoneauth'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'phoneauth') \gexec
SQL
}

write_env() {
    local port=$1 h url su
    h=$(uri_enc "$DIR")
    url="postgresql:///phoneauth?host=$h&port=$port&user=phoneauth"
    su="postgresql:///phoneauth?host=$h&port=$port&user=postgres"
    cat >"$ENVFILE.tmp" <<EOF
export DATABASE_URL='$url'
export PGHOST='$DIR' PGPORT=$port
export DATABASE_SUPERUSER_URL='$su'
EOF
    chmod 0644 "$ENVFILE.tmp"
    mv -f "$ENVFILE.tmp" "$ENVFILE"
    echo "$url"
}

lock_dir() {
    exec 9>>"$DIR/.lock"
    flock -w 120 9 || die "timed out waiting for lock on $DIR"
}

# ---------------------------------------------------------------------------------------------
cmd_start() {
    local mode=$1 rc port
    if [ "$mode" = resume ] && [ ! -d "$DIR" ]; then
        die "no cluster in $DIR (run: $PROG start $DIR_ARG)"
    fi
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd -P)
    DATA="$DIR/data"; LOGFILE="$DIR/postgres.log"; ENVFILE="$DIR/env"; MARKER="$DIR/.pgcluster"
    if [ ${#DIR} -gt 90 ]; then
        # unix socket paths are limited to ~107 bytes: DIR/.s.PGSQL.NNNNN
        die "cluster dir path too long for a unix socket (${#DIR} > 90 chars): $DIR"
    fi
    cd "$DIR"   # the postgres user may not be able to read the caller's cwd
    lock_dir
    [ -e "$MARKER" ] || : >"$MARKER"
    fix_perms

    rc=0; pg_status || rc=$?
    case $rc in
        0) port=$(current_port) ;;
        3) [ "$mode" = resume ] || log "cluster in $DATA is stopped; starting it"
           start_server "$mode"; port=$(current_port) ;;
        4) [ "$mode" = start ] || die "no cluster in $DIR (run: $PROG start $DIR_ARG)"
           if [ -e "$DATA" ] && [ -n "$(ls -A "$DATA" 2>/dev/null)" ]; then
               die "$DATA exists but is not a PostgreSQL data directory"
           fi
           do_initdb
           start_server start; port=$(current_port) ;;
        *) die "pg_ctl status failed ($rc) for $DATA" ;;
    esac
    [ -n "$port" ] || die "cannot determine the server port"
    ensure_role_db "$port"
    write_env "$port"
}

cmd_stop() {
    [ -d "$DIR" ] || return 0
    DIR=$(cd "$DIR" && pwd -P); DATA="$DIR/data"
    local rc=0
    pg_status || rc=$?
    [ $rc -eq 0 ] || return 0
    cd "$DIR"
    as_pg "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 -s >&2 || {
        # lost a race with another stop: fine if it is down now
        rc=0; pg_status || rc=$?
        [ $rc -ne 0 ] || die "could not stop PostgreSQL in $DATA"
    }
}

cmd_destroy() {
    [ -e "$DIR" ] || return 0
    cmd_stop
    DIR=$(cd "$DIR" && pwd -P)
    # only ever delete something that looks like one of our clusters (or an empty dir)
    if [ ! -e "$DIR/.pgcluster" ] && [ ! -f "$DIR/data/PG_VERSION" ] && [ -n "$(ls -A "$DIR")" ]; then
        die "refusing to rm -rf $DIR: not a $PROG cluster dir"
    fi
    cd /
    rm -rf -- "$DIR"
}

cmd_newdb() {
    local name=$DBNAME port h
    [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "bad database name: $name"
    case "$name" in postgres|template0|template1) die "refusing to recreate $name" ;; esac
    [ -d "$DIR" ] || die "no cluster in $DIR"
    DIR=$(cd "$DIR" && pwd -P); DATA="$DIR/data"
    local rc=0; pg_status || rc=$?
    [ $rc -eq 0 ] || die "cluster in $DIR is not running"
    port=$(current_port)
    psql_su "$port" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
                    -c "CREATE DATABASE \"$name\" OWNER phoneauth" >/dev/null
    h=$(uri_enc "$DIR")
    echo "postgresql:///$name?host=$h&port=$port&user=phoneauth"
}

BINDIR=$(find_bindir)

case "$CMD" in
    start)   cmd_start start ;;
    resume)  cmd_start resume ;;
    stop)    cmd_stop ;;
    pause)   cmd_stop ;;
    destroy) cmd_destroy ;;
    newdb)   cmd_newdb ;;
    status)  rc=0; pg_status || rc=$?; exit $rc ;;
    url)     [ -f "$ENVFILE" ] || die "no $ENVFILE"
             sed -n "s/^export DATABASE_URL='\(.*\)'$/\1/p" "$ENVFILE" ;;
    *)       usage ;;
esac
