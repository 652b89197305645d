#!/usr/bin/env bash
# Start every process of the embedded portal: the job worker and the web server.
# The web server prints the address it serves (BIND, default 127.0.0.1:5000) once it listens.
# A job worker that crashes is started again after two seconds; the web server keeps serving.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BEELDBRUG_BIN:-.venv/bin}

# One worker: one conversion at a time on two cores. An idle worker asks the queue at least
# every second, so that a new upload's poster appears within about two seconds. When it
# starts it takes up the conversions a crashed worker left (app/clips/services/recovery.py).
keep_worker_running() {
    local child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait 2>/dev/null; exit 0' INT TERM
    while true; do
        "$BIN/huey_consumer" app.tasks.huey --workers 1 --worker-type thread --max-delay 1 --quiet &
        child=$!
        status=0
        wait "$child" || status=$?
        # A clean stop (Ctrl-C, which the worker hears too) ends it; a crash does not.
        [ "$status" -eq 0 ] && exit 0
        echo "The job worker stopped (exit status $status); starting it again in 2 seconds." >&2
        sleep 2
    done
}

keep_worker_running &
worker=$!
"$BIN/gunicorn" --config gunicorn.conf.py 'app:create_app()' &
web=$!
trap 'kill "$worker" "$web" 2>/dev/null; wait' INT TERM EXIT

echo "Starting the job worker and the web server; Ctrl-C stops both."
wait -n "$worker" "$web"
