#!/usr/bin/env bash
# Side by side: the throughput and latency part of bench/run.ts for an older revision and for
# this checkout, alternating, so that ratios come from one run on one noisy machine.
#   bench/compare-revisions.sh REV [REPETITIONS]      e.g. bench/compare-revisions.sh 4394b2b 3
# The older revision is built in a temporary git worktree that shares this node_modules
# (it runs no npm command, so the link is only read).
set -euo pipefail
rev=${1:?usage: bench/compare-revisions.sh REV [REPETITIONS]}
reps=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
base=$(mktemp -d /tmp/baton-base-XXXXXX)
trap 'git -C "$here" worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"' EXIT
git -C "$here" worktree add -q --detach "$base" "$rev"
ln -s "$here/node_modules" "$base/node_modules"
(cd "$base" && npx buf generate && npx tsc -p tsconfig.build.json)
for rep in $(seq 1 "$reps"); do
  for tree in "$base" "$here"; do
    label=$([[ $tree == "$base" ]] && echo "$rev" || echo "HEAD")
    echo "== repetition $rep: $label"
    (cd "$tree" && BENCH_TASKS=${BENCH_TASKS:-20000} node --import tsx bench/run.ts throughput-only | grep -E 'throughput|latency')
  done
done
