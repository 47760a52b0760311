#!/usr/bin/env bash
# Installs the Debian 12 packages ocfsx needs; quick no-op when all are present.
# Usage: scripts/deps.sh [base|bench]   (bench adds the load tools and ocfs2-tools)
set -euo pipefail

base_pkgs=(
	build-essential cmake pkg-config python3
	libblkid-dev uuid-dev libmount-dev catch2
	linux-image-amd64 linux-headers-amd64 kmod
	qemu-system-x86 qemu-utils busybox-static cpio gzip
)
bench_pkgs=(ocfs2-tools bc fio fsmark dbench stress-ng postmark bonnie++)

pkgs=("${base_pkgs[@]}")
[ "${1:-base}" = bench ] && pkgs+=("${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		exec sudo -n "$0" "$@"
	fi
	echo "deps: need root to install: ${missing[*]} (run 'make deps' as root)" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
	apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}
# Package lists go stale or are absent on a fresh machine: refresh and retry once.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || ! apt_install; then
	apt-get update -q </dev/null
	apt_install
fi
