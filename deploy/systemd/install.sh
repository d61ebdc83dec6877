#!/bin/sh
# Installs the Pulse services as systemd units. Run as root from the repository root:
#   deploy/systemd/install.sh            (builds a release first)
#   PULSE_SKIP_BUILD=1 deploy/systemd/install.sh
# Binaries go to /opt/pulse/bin, docs to /opt/pulse/docs, configuration to /etc/pulse (existing
# files there are kept), units to /etc/systemd/system. See docs/operations.md.
set -eu
cd "$(dirname "$0")/../.."
prefix=/opt/pulse
if [ -z "${PULSE_SKIP_BUILD:-}" ]; then
    swift build -c release
fi
bin=$(swift build -c release --show-bin-path)
install -d -m 0755 "$prefix/bin" "$prefix/docs"
for exe in pulse pulse-frontend-gateway pulse-auth pulse-backend pulse-etl pulse-ai; do
    install -m 0755 "$bin/$exe" "$prefix/bin/$exe"
done
install -m 0644 docs/*.md "$prefix/docs/"
install -m 0644 deploy/systemd/pulse.sysusers.conf /usr/lib/sysusers.d/pulse.conf
systemd-sysusers /usr/lib/sysusers.d/pulse.conf
install -d -m 0750 -g pulse /etc/pulse
[ -e /etc/pulse/pulse.toml ] || install -m 0640 -g pulse config/pulse.toml /etc/pulse/pulse.toml
[ -e /etc/pulse/pulse.env ] || install -m 0640 -g pulse config/pulse.env.example /etc/pulse/pulse.env
for unit in deploy/systemd/*.service deploy/systemd/pulse.target; do
    install -m 0644 "$unit" /etc/systemd/system/
done
systemctl daemon-reload
echo "installed; start with: systemctl enable --now pulse.target"
