"""moto_server with every request handled atomically.

moto's own server runs requests in threads with no lock around its backends, so two
concurrent conditional writes to one DynamoDB item can both pass their condition — something
real DynamoDB never allows, and which the orchestrator's leases rely on. This launcher keeps
the threaded server (keep-alive connections stay open) but serializes the handling of
requests, so that each API call is atomic as it is in AWS. Usage: moto_server.py HOST PORT
"""
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def atomic(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, atomic, threaded=True)


if __name__ == "__main__":
    main()
