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

    log = open(os.environ["MOTO_TRACE_FILE"], "a", buffering=1) if os.environ.get("MOTO_TRACE_FILE") else None

    def atomic(environ, start_response):
        what = environ.get("HTTP_X_AMZ_TARGET") or (environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", ""))
        if log:
            log.write(f"wait {threading.get_ident()} {what}\n")
        with lock:
            if log:
                log.write(f"run  {threading.get_ident()} {what}\n")
            try:
                return list(app(environ, start_response))
            finally:
                if log:
                    log.write(f"done {threading.get_ident()} {what}\n")

    run_simple(host, port, atomic, threaded=True)


if __name__ == "__main__":
    main()
