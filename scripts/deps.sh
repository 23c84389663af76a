#!/bin/sh
# deps.sh: make sure the Debian packages ipibench needs are installed.
#
# As root, missing packages are installed with apt-get.  Otherwise the
# exact command to run is printed and the script fails, so that `make`
# stops before a confusing compiler or linker error.
#
#   sh scripts/deps.sh            the packages of build, test and bench
#   sh scripts/deps.sh PKG...     just these (the checking tools: spin for
#                                 make verify, gcc-aarch64-linux-gnu and
#                                 qemu-user-static for make ARCH=aarch64)
set -eu

PKGS="make gcc g++ pkg-config libhwloc-dev hwloc-nox libnuma-dev
libbenchmark-dev libbenchmark-tools libinih-dev libcriterion-dev
linux-perf python3 python3-matplotlib python3-scipy"
[ $# -gt 0 ] && PKGS="$*"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ipibench needs these Debian packages:$missing" >&2
	echo "install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
