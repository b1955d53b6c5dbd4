#!/bin/sh
# test_proto_io_check.sh - the build's no-I/O check refuses what it must and passes the tree.
set -eu
root=$1
check="$root/scripts/check-proto-io.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/proto" "$tmp/lib"

# the real tree passes
"$check" "$tmp/stamp" "$root"/src/proto/*.c "$root"/src/proto/*.h

for h in sys/socket.h unistd.h fcntl.h time.h pthread.h uv.h stdio.h sqlite3.h ares.h netinet/in.h; do
	printf '#include <%s>\n' "$h" >"$tmp/proto/bad.c"
	if "$check" "$tmp/stamp2" "$tmp/proto/bad.c" 2>/dev/null; then
		echo "FAIL: #include <$h> in src/proto was not refused" >&2
		exit 1
	fi
done
# a higher layer may not be reached from proto
printf '#include "../net/tls.h"\n' >"$tmp/proto/bad.c"
if "$check" "$tmp/stamp2" "$tmp/proto/bad.c" 2>/dev/null; then
	echo "FAIL: an include of net/ from src/proto was not refused" >&2
	exit 1
fi
# nor may I/O come in through a lib header
printf '#include <stdio.h>\n' >"$tmp/lib/leak.h"
printf '#include "../lib/leak.h"\n' >"$tmp/proto/ok.c"
if "$check" "$tmp/stamp2" "$tmp/proto/ok.c" 2>/dev/null; then
	echo "FAIL: I/O through a lib header was not refused" >&2
	exit 1
fi
echo "proto I/O check: refuses 12 kinds of violation, passes the tree"
