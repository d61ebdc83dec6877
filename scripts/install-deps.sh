#!/usr/bin/env bash
# Installs what Pulse needs on a fresh Debian 12 machine of this kind: the C libraries the
# package links, the PostgreSQL 15 server, and the Python packages the test suite uses as
# independent peers (the `websockets` client). Idempotent: does nothing when all is there.
set -euo pipefail

need_apt=()
# chromium + chromium-driver: the web app's browser tests (Tests/web).
for pkg in libpq-dev libssl-dev openssl zlib1g-dev pkg-config postgresql-15 postgresql-client-15 chromium chromium-driver; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "install-deps: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c 'import websockets' >/dev/null 2>&1; then
  echo "install-deps: pip install websockets"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'websockets>=12' >/dev/null
fi

# Browser tests of the web app (Tests/web): Selenium, the axe-core bindings, pytest, and Pillow to
# shrink the committed screenshots (Chromium and its driver come from Debian, above).
for module in selenium:selenium axe_selenium_python:axe-selenium-python pytest:pytest PIL:pillow; do
  if ! python3 -c "import ${module%%:*}" >/dev/null 2>&1; then
    echo "install-deps: pip install ${module#*:}"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${module#*:}" >/dev/null
  fi
done
