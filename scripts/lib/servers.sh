# Real servers for the scripts that need them (tests/examples/*.sh, bench/*.sh, the live
# demo): each on a loopback port chosen free at run time, its data in the caller's work dir.
# Source this file, then call start_redis / start_postgres WORK_DIR; stop_servers (put it in
# the caller's EXIT trap) stops what was started.
#   REDIS_PORT          after start_redis
#   PG_PORT, PG_URI     after start_postgres: postgresql://streamweave:secret@127.0.0.1:PORT/streamweave
#   pg_sql "SQL"        runs SQL there with psql, unaligned, tuples only

_started_redis=""
_started_pg=""

# A loopback port nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_redis() {
  local work=$1
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    --logfile "$work/redis.log" &
  _started_redis=$!
  for ((i = 0; i < 50; i++)); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "redis-server did not start: $(tail -5 "$work/redis.log")" >&2
  return 1
}

# initdb with password authentication (user streamweave, password secret), then postgres;
# as the user postgres when run as root (the server refuses root).
start_postgres() {
  local work=$1 bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [[ -x $bin/initdb ]] || { echo "no initdb under /usr/lib/postgresql (postgresql-15)" >&2; return 1; }
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    chmod 777 "$work"
    as=(runuser -u postgres --)
  fi
  PG_PORT=$(free_port)
  echo secret >"$work/pg-password"
  chmod 644 "$work/pg-password"
  "${as[@]}" "$bin/initdb" -D "$work/pg" -U streamweave --pwfile="$work/pg-password" \
    --auth=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
    { echo "initdb failed: $(tail -5 "$work/initdb.log")" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$work/pg" -l "$work/postgres.log" -w -t 30 \
    -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { echo "postgres did not start: $(tail -5 "$work/postgres.log")" >&2; return 1; }
  _started_pg="${as[*]} $bin/pg_ctl -D $work/pg -m immediate stop"
  PG_URI="postgresql://streamweave:secret@127.0.0.1:$PG_PORT/streamweave"
  PGPASSWORD=secret psql -h 127.0.0.1 -p "$PG_PORT" -U streamweave -d postgres -qc \
    "CREATE DATABASE streamweave" >/dev/null
}

pg_sql() {
  PGPASSWORD=secret psql -h 127.0.0.1 -p "$PG_PORT" -U streamweave -d streamweave -tAqc "$1"
}

stop_servers() {
  if [[ -n $_started_redis ]]; then
    kill "$_started_redis" 2>/dev/null || true
    wait "$_started_redis" 2>/dev/null || true
    _started_redis=""
  fi
  if [[ -n $_started_pg ]]; then
    $_started_pg >/dev/null 2>&1 || true
    _started_pg=""
  fi
}
