#!/usr/bin/env bash
# Installs what `make test` needs and a fresh machine may lack: a C compiler
# for -race and Chromium for the browser tests (web/ui). Debian's packages;
# nothing is downloaded from anywhere else.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null ||
	[ -n "${HIGATE_CHROMIUM:-}" ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	echo "make test needs: ${need[*]} (install them, e.g. sudo apt-get install -y ${need[*]})" >&2
	exit 1
fi
echo "installing ${need[*]} for the tests"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
