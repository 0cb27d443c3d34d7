#!/usr/bin/env bash
# What `make run` prints last, before the server starts: where to go and how to log in.
# Usage: scripts/welcome.sh BINARY PORT
set -u
bin=${1:?binary}
port=${2:?port}
cat <<MSG

  onewindow is starting: open  http://127.0.0.1:${port}/

  Demo logins (all with the password Demo-2026-xz; README.md, "Demo data", lists every one):
    citizen 扎西多吉     540102199001011233   (or 13800000001)
    counter clerk        clerk.bakuo
    civil affairs        clerk.chengguan  reviewer.chengguan  head.chengguan
    12345 hotline        hotline.xz
    catalog admin        catalog.xz
  Staff are asked for a second-factor code: run  ${bin} demo totp  in another terminal.

  Stop the server with Ctrl-C. Its log follows.

MSG
