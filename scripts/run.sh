#!/bin/sh
# run.sh - what `make run` does: show tern's commands and explain a few real replies.
#
# The submission server is not built yet; until it is, tern's main job is `tern explain`.
set -eu
tern=${1:-build/release/tern}

"$tern" --help
echo
echo "\$ tern explain \"550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual alias table\""
"$tern" explain "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual alias table"
echo
echo "\$ tern explain \"451 4.7.1 Greylisting in action, please come back in 00:02:00\""
"$tern" explain "451 4.7.1 Greylisting in action, please come back in 00:02:00"
