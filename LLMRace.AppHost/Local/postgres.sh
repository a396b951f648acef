#!/usr/bin/env bash
# A PostgreSQL server of this machine's own binaries (Debian's postgresql package) for a local cluster, in the foreground
# so the AppHost manages it: the data folder is made on first use; PostgreSQL refuses to run as root, so as root it runs
# as the package's postgres user. Usage: postgres.sh DATA_DIR PORT
set -euo pipefail
data="$1"
port="$2"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ]; then
  echo "PostgreSQL's binaries are not installed: apt-get install -y postgresql (or run with a container runtime)" >&2
  exit 1
fi
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi
mkdir -p "$data"
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$data"
  if ! runuser -u postgres -- test -w "$data"; then
    echo "the postgres user cannot reach $data: let it through the folders above (chmod o+x)" >&2
    exit 1
  fi
fi
if [ ! -f "$data/PG_VERSION" ]; then
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U llmrace --auth=trust --encoding=UTF8 >/dev/null
fi
exec "${as_owner[@]}" "$bin/postgres" -D "$data" -p "$port" -k "$data" -c listen_addresses=127.0.0.1 -c max_connections=300
