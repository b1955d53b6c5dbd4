#!/bin/sh
# deps.sh - install every Debian package that tern's build, tests, fuzzing and benchmarks use.
#
# Idempotent: packages already present are left alone, and nothing is fetched when all are
# installed. Runs as root on Debian 12; elsewhere it says what to install and stops.
set -eu

PACKAGES="
  build-essential pkg-config meson ninja-build
  clang libclang-rt-14-dev clang-format cppcheck
  libcmocka-dev
  libuv1-dev libssl-dev libc-ares-dev libsqlite3-dev libsodium-dev libinih-dev
  libjansson-dev libmicrohttpd-dev libpq-dev libhiredis-dev
  python3 python3-pytest python3-aiosmtpd python3-dnslib python3-dkim python3-cryptography
  libmail-dkim-perl python3-nacl
  swaks libnet-ssleay-perl libio-socket-ssl-perl openssl ca-certificates iproute2 procps
  postfix php-cli publicsuffix
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

# Node.js and npm run the nodemailer interop test. A machine often has them already (not always
# from Debian, and Debian's npm conflicts with other builds of node): only when either is
# missing are Debian's packages installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: these Debian packages are missing:$missing" >&2
	echo "deps.sh: run 'sudo scripts/deps.sh' (or install them with apt-get) and try again" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix is used only as a benchmark peer and test target: never let it configure or start
# a system mail service on port 25.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "deps.sh: installing:$missing"
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
