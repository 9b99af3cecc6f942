"""Gunicorn settings used by `manage.py run` (and suitable for production, see docs/)."""

import os

wsgi_app = "defensa.wsgi:application"
# SQLite and the in-memory cache want one process; PostgreSQL + Redis deployments raise it.
workers = int(os.environ.get("DEFENSA_WEB_WORKERS", "1"))
threads = int(os.environ.get("DEFENSA_WEB_THREADS", "8"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
# No access log: it would record every client's address.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("DEFENSA_LOG_LEVEL", "info").lower()
logger_class = "defensa.core.gunicorn_logging.RedactingLogger"
# Limit what one request may make the server read before Django's own limits apply.
limit_request_line = 4094
limit_request_fields = 60
# No management socket in the home directory: `manage.py run` manages the processes itself.
control_socket_disable = True
