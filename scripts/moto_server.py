"""moto_server with every request handled atomically.

moto's own server runs requests in threads with no lock around its backends, so two
concurrent conditional writes to one DynamoDB item can both pass their condition — something
real DynamoDB never allows, and which the orchestrator's leases rely on. This launcher keeps
the threaded server (keep-alive connections stay open) but serializes the handling of
requests, so that each API call is atomic as it is in AWS. Usage: moto_server.py HOST PORT

It also makes CreatePipeline idempotent, as the Data Pipeline API reference documents it
(https://docs.aws.amazon.com/datapipeline/latest/APIReference/API_CreatePipeline.html, uniqueId:
"CreatePipeline ensures that if a pipeline already exists with the same name and unique
identifier, a new pipeline is not created. Instead, you'll receive the pipeline identifier from
the previous attempt. The uniqueness of the name and unique identifier combination is scoped to
the AWS account"): moto 5.2.1 ignores uniqueId and makes a second pipeline.
"""
import os
import sys
import threading

from moto.datapipeline.models import DataPipelineBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def follow_create_pipeline_idempotency() -> None:
    """CreatePipeline returns the pipeline of the same name and uniqueId that exists (a backend is one account and region)."""
    create = DataPipelineBackend.create_pipeline

    def create_pipeline(self, name, unique_id, **kwargs):
        for pipeline in self.pipelines.values():
            if pipeline.name == name and pipeline.unique_id == unique_id:
                return pipeline
        return create(self, name, unique_id, **kwargs)

    DataPipelineBackend.create_pipeline = create_pipeline


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    follow_create_pipeline_idempotency()
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
