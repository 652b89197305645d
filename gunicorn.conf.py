"""gunicorn settings. gthread workers: a streaming response never blocks the other requests."""

import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
worker_class = "gthread"
# One process keeps the embedded default's in-memory rate limits consistent; scale-out
# (Redis limits) raises WEB_PROCESSES.
workers = int(os.environ.get("WEB_PROCESSES", "1"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 60
graceful_timeout = 20
control_socket_disable = True
accesslog = "-"
# The path without its query string: invitation and reset links carry their secret there.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
