#!/usr/bin/env bash
# `make run`: a coordinator on ./baton-data and one worker running examples/handlers.mjs,
# in the foreground. Ctrl-C stops both (gracefully). Submit from another terminal:
#   ./bin/baton submit add '{"a": 2, "b": 3}' --wait
set -euo pipefail
cd "$(dirname "$0")/.."
pretty() { if [[ -x node_modules/.bin/pino-pretty ]]; then node_modules/.bin/pino-pretty --singleLine; else cat; fi; }

./bin/baton coordinator --data ./baton-data > >(pretty) 2>&1 &
coordinator=$!
trap 'kill -TERM $coordinator $worker 2>/dev/null; wait' INT TERM EXIT
for _ in $(seq 1 100); do
  if curl -fs http://127.0.0.1:7071/healthz >/dev/null 2>&1; then break; fi
  sleep 0.1
done
./bin/baton worker --concurrency 8 examples/handlers.mjs > >(pretty) 2>&1 &
worker=$!
cat <<'TXT'

Baton is running: coordinator on 127.0.0.1:7070 (gRPC) and 127.0.0.1:7071 (/healthz, /metrics),
one worker running examples/handlers.mjs. In another terminal:

  ./bin/baton submit add '{"a": 2, "b": 3}' --wait
  ./bin/baton submit flaky '{"succeedOn": 3}' --wait
  ./bin/baton list

Ctrl-C stops both.

TXT
wait
