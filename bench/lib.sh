# Shared by the bench scripts (sourced): a work folder cleaned up on exit, the Release build, a throwaway PostgreSQL.
# The sourcing script sets `here` and `repo` first.
# REUSE=<a folder KEEP=1 kept>: run again on its database (scripts that support it skip their loading).
if [ -n "${REUSE:-}" ]; then work=$REUSE; KEEP=1; else work=$(mktemp -d /tmp/carehub-bench.XXXXXX); fi; chmod 755 "$work"
pids=(); pgbin=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_postgres
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

publish_hub() {
  echo "publishing Release build…" >&2
  dotnet publish "$repo/src/Hub.Api" -c Release -o "$here/out/app" -v quiet >/dev/null
}

# start_postgres PORT [PREFIX…]: a fresh cluster under $work/pg with database `carehub`, durable commits (fsync on) as
# in production, and the hub pointed at it. PREFIX runs the server under e.g. `taskset -c 0`.
start_postgres() {
  local port=$1; shift
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local fresh=1; [ -f "$work/pg/PG_VERSION" ] && fresh=
  mkdir -p "$work/pg" && chown postgres "$work/pg" && chmod 700 "$work/pg"
  [ -z "$fresh" ] || runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres -A trust >/dev/null
  "$@" runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -o "-p $port -k $work/pg \
    -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
  until runuser -u postgres -- "$pgbin/pg_isready" -h 127.0.0.1 -p "$port" >/dev/null 2>&1; do sleep 0.2; done
  [ -z "$fresh" ] || runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres carehub
  export Hub__Database__Provider=Postgres ConnectionStrings__Hub="Host=127.0.0.1;Port=$port;Username=postgres;Database=carehub;Maximum Pool Size=64;No Reset On Close=true"
}

stop_postgres() {
  [ -n "${pgbin:-}" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" stop -m fast >/dev/null 2>&1 || true
  pgbin=
}
