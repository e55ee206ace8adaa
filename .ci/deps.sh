#!/usr/bin/env bash
# Makes sure the tools the tests need are present: xmllint, OpenSSL's GOST engine, stunnel4, Chromium
# (the dashboard's browser test) and a PostgreSQL server answering on 127.0.0.1:5432 with trust auth for local connections.
# It installs Debian packages when it can (root + apt-get) and starts PostgreSQL when none answers.
set -uo pipefail

log() { printf 'deps: %s\n' "$*" >&2; }

gost_engine_present() {
  local d
  for d in /usr/lib/*/engines-3 /usr/lib/engines-3 /usr/lib64/engines-3; do
    [ -e "$d/gost.so" ] && return 0
  done
  return 1
}

need=()
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
gost_engine_present || need+=(libengine-gost-openssl)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The GOST TLS tunnel test (cmd/gisgw/tunnel_test.go): Debian's stunnel on the system OpenSSL 3.
command -v stunnel4 >/dev/null 2>&1 || need+=(stunnel4)
# The dashboard's browser test: Debian's Chromium, and fonts with Cyrillic.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt or unattended-upgrades run instead of failing on its lock, and
    # show apt's own words when it fails: "failed" alone says nothing to act on.
    apt_out=$(mktemp)
    apt() {
      if ! apt-get -o DPkg::Lock::Timeout=300 "$@" >"$apt_out" 2>&1; then
        log "apt-get $* failed:"
        grep -E '^(E|W|Err):' "$apt_out" >&2 || tail -n 20 "$apt_out" >&2
        return 1
      fi
    }
    apt update -qq || true
    apt install -y -qq "${need[@]}" || true
    rm -f "$apt_out"
  else
    log "missing ${need[*]} and cannot install them (need root and apt-get)"
  fi
fi

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

# The Makefile always sets TEST_DATABASE_URL (to this local server by default), so a local
# server that does not answer is started whatever the variable says.
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$ver" ]; then
      ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      log "creating PostgreSQL $ver cluster"
      pg_createcluster "$ver" main >/dev/null 2>&1 || log "pg_createcluster failed"
    fi
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    if [ -f "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      log "allowing trust auth on 127.0.0.1 for tests"
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    log "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 \
      || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || log "PostgreSQL is not answering on 127.0.0.1:5432; PostgreSQL tests will fail"
fi
exit 0
