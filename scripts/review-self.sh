#!/usr/bin/env bash
# Rampart reviews itself: the built `rampart review` over every package and the secured example, from the repository
# root, as CI runs it. The exit code is the review's: 0 nothing found, 1 findings, 2 an error (such as an ignore
# pattern without a reason). Deliberately vulnerable code is left out only by .rampart-review-ignore files, each
# pattern with its reason, and the summary line says how many files each one left out.
# Needs `npm run build` first (it runs the built bin, as a user would).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=packages/cli/dist/bin.js
if [[ ! -f "$bin" ]]; then
  echo "review-self: $bin is missing; run npm run build first" >&2
  exit 2
fi
exec node "$bin" review packages examples/secured-api --format text "$@"
