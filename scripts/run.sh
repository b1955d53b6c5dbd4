#!/bin/sh
# run.sh - what `make run` does: start tern's submission server on loopback with the
# development setup under ./var (made on first start: configuration, self-signed certificate,
# store with one SMTP credential whose password is printed once, spool).
set -eu
tern=${1:-build/release/tern}

echo "tern $("$tern" --version | cut -d' ' -f2): starting the submission server (Ctrl-C stops it)"
echo "Try also: $tern explain \"550 5.1.1 User unknown\"   |   $tern help"
echo
exec "$tern" serve --dev
