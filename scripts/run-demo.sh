#!/usr/bin/env bash
# `make run`: a coordinator on ./baton-data and one worker running examples/handlers.mjs,
# in the foreground. Ctrl-C stops the worker first (it drains and reports what it ran),
# then the coordinator, one signal each: both run in sessions of their own (setsid), so the
# terminal's Ctrl-C reaches only this script, which then stops them in order. Submit from
# another terminal:
#   ./bin/baton submit add '{"a": 2, "b": 3}' --wait
set -uo pipefail
cd "$(dirname "$0")/.."

# Pretty-print logs when pino-pretty is installed; the printers ignore Ctrl-C so that they
# show the shutdown lines too, and end when their input does.
pretty() { trap '' INT TERM; if [[ -x node_modules/.bin/pino-pretty ]]; then node_modules/.bin/pino-pretty --singleLine; else cat; fi; }

setsid ./bin/baton coordinator --data ./baton-data > >(pretty) 2>&1 &
coordinator=$!
worker=''

stop() {
  trap '' INT TERM
  echo
  [[ -n "$worker" ]] && kill -TERM "$worker" 2>/dev/null && wait "$worker"
  kill -TERM "$coordinator" 2>/dev/null && wait "$coordinator"
  exit 0
}
trap stop INT TERM

for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:7071/healthz >/dev/null 2>&1 && break
  if ! kill -0 "$coordinator" 2>/dev/null; then
    echo "the coordinator did not start (is port 7070 or 7071 in use?)" >&2
    exit 1
  fi
  sleep 0.1
done
setsid ./bin/baton worker --concurrency 8 examples/handlers.mjs > >(pretty) 2>&1 &
worker=$!
cat <<'TXT'

Baton is running: coordinator on 127.0.0.1:7070 (gRPC) and 127.0.0.1:7071 (HTTP: the dashboard,
the JSON API, /metrics), one worker running examples/handlers.mjs.

  Dashboard: http://127.0.0.1:7071/

In another terminal:

  ./bin/baton submit add '{"a": 2, "b": 3}' --wait
  ./bin/baton submit flaky '{"succeedOn": 3}' --wait
  ./bin/baton submit countdown '{"seconds": 5}' --wait     # shows the handler's progress
  ./bin/baton schedule create every-10s --every 10s add '{"a": 1, "b": 1}'
  ./bin/baton list --schedule every-10s
  ./bin/baton list
  curl -s -XPOST 127.0.0.1:7071/v1/tasks -d '{"type": "add", "payload": {"a": 2, "b": 3}}' -H 'content-type: application/json'

Ctrl-C stops both.

TXT
wait "$coordinator"
echo "the coordinator exited" >&2
kill -TERM "$worker" 2>/dev/null && wait "$worker"
exit 1
