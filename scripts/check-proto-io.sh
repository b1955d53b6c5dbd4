#!/bin/sh
# check-proto-io.sh - fail the build when a protocol core does I/O.
#
# src/proto/ holds pure state machines and parsers: bytes and decisions in, bytes and
# decisions out. This check refuses any include there of a socket, file-descriptor, file,
# clock, thread, event-loop, database or DNS header, and any tern header outside proto/ and
# lib/ (layers flow one way). Usage: check-proto-io.sh STAMP FILE...
set -eu

stamp=$1
shift

# System headers that mean I/O, time or threads.
banned='sys/socket\.h|sys/un\.h|netinet/[a-z_/]*\.h|arpa/[a-z_]*\.h|netdb\.h|net/[a-z_]*\.h|unistd\.h|fcntl\.h|sys/stat\.h|sys/types\.h|sys/uio\.h|sys/mman\.h|sys/ioctl\.h|sys/select\.h|sys/epoll\.h|sys/event\.h|sys/wait\.h|poll\.h|dirent\.h|stdio\.h|signal\.h|time\.h|sys/time\.h|sys/timerfd\.h|pthread\.h|threads\.h|semaphore\.h|uv\.h|uv/[a-z_/]*\.h|ev\.h|event2?/[a-z_/]*\.h|sqlite3\.h|libpq-fe\.h|hiredis/[a-z_/]*\.h|ares\.h|openssl/ssl\.h|openssl/bio\.h|microhttpd\.h'

# lib/ headers that proto files include are part of what proto sees: check them too.
files="$*"
for f in "$@"; do
	dir=$(dirname "$f")
	for h in $(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\.\/lib\/([A-Za-z0-9_]+\.h)".*/\1/p' "$f"); do
		case " $files " in
		*" $dir/../lib/$h "*) ;;
		*) files="$files $dir/../lib/$h" ;;
		esac
	done
done

status=0
for f in $files; do
	case "$f" in
	*.c | *.h) ;;
	*) continue ;;
	esac
	hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($banned)>" "$f" || true)
	if [ -n "$hits" ]; then
		echo "$f: src/proto must do no I/O; remove these includes (pass the data in instead):" >&2
		echo "$hits" | sed 's/^/    /' >&2
		status=1
	fi
	# quoted includes may only reach proto/ itself and lib/
	quoted=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		grep -vE '#[[:space:]]*include[[:space:]]*"(\.\./lib/)?[A-Za-z0-9_]+\.h"' || true)
	if [ -n "$quoted" ]; then
		echo "$f: src/proto may include only proto/ and lib/ headers:" >&2
		echo "$quoted" | sed 's/^/    /' >&2
		status=1
	fi
done
[ "$status" -eq 0 ] && : >"$stamp"
exit "$status"
