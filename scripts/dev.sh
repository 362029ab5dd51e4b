#!/usr/bin/env bash
# One entry point for people and CI:
#   bash scripts/dev.sh demo    run the whole pipeline on bundled samples (embedded defaults)
#   bash scripts/dev.sh test    run the test suite (installs and starts what the tests need)
#   bash scripts/dev.sh setup   only create .venv and install prepress with its test tools
#   bash scripts/dev.sh lint    ruff check, ruff format --check and mypy (the test command runs them too)
# The demo installs prepress with its demo extra (local FTP servers); setup, test and lint
# add the test tools.
# Works on a fresh Debian machine with Python 3.11; system packages are installed with apt
# when missing (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
log() { printf '\033[1m[dev]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

apt_install() {  # apt_install PACKAGE... : install the ones that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { log "not Debian: please install ${missing[*]}"; return 1; }
  log "installing ${missing[*]}"
  if [ ! -f /tmp/.prepress-apt-updated ]; then
    as_root apt-get update -qq && touch /tmp/.prepress-apt-updated
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

python_bin() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  log "Python 3.11 or newer is required"; return 1
}

setup() {  # setup [EXTRAS] : .venv with prepress (editable) and EXTRAS (default: the test tools)
  local py stamp extras=${1-[test]}
  py=$(python_bin)
  if [ ! -x "$VENV/bin/python" ]; then
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && rm -rf "$VENV" &&
                                           "$py" -m venv "$VENV"; }
  fi
  stamp="$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)$extras"
  # a venv with the test tools also serves the demo; one without them is topped up for tests
  if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$stamp" ] &&
     [ "$(cat "$VENV/.installed" 2>/dev/null)" != "${stamp%"$extras"}[test]" ]; then
    log "installing prepress${extras:+$extras} into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".$extras"
    echo "$stamp" > "$VENV/.installed"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_redis() {
  port_open 6379 && return 0
  apt_install redis-server
  log "starting Redis on 127.0.0.1:6379"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/prepress-redis.log
  for _ in $(seq 50); do port_open 6379 && return 0; sleep 0.1; done
  log "Redis did not start (see /tmp/prepress-redis.log)"; return 1
}

ensure_postgres() {
  port_open 5432 && return 0
  apt_install postgresql
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 100); do port_open 5432 && break; sleep 0.1; done
  port_open 5432 || { log "PostgreSQL did not start"; return 1; }
  # a fresh cluster asks for a password on TCP: give the test user one
  as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'prepress-test'"
  export PREPRESS_TEST_PG_URL="postgresql+psycopg://postgres:prepress-test@127.0.0.1:5432/postgres"
}

lint() {  # the linter, the formatter check and the type checker; any failure fails the run
  log "ruff check, ruff format --check, mypy"
  "$VENV/bin/ruff" check --quiet .
  "$VENV/bin/ruff" format --check --quiet .
  "$VENV/bin/mypy" --no-error-summary pipeline models tasks watcher commands web testkit
}

case "${1:-help}" in
  setup)
    setup ;;
  lint)
    setup
    lint ;;
  demo)
    setup "[demo]"   # the demo needs prepress and its local sinks, not the test tools
    shift; exec "$VENV/bin/prepress" demo "$@" ;;
  test)
    apt_install ghostscript poppler-utils openssh-server redis-server chromium chromium-driver iproute2
    setup
    ensure_redis
    ensure_postgres
    shift
    lint
    # the slowest tests are named at the end, so a run that grows shows where
    exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider --durations=15 "$@" ;;
  *)
    sed -n '2,8p' "$0"; exit 2 ;;
esac
