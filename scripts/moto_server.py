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

And it makes DynamoDB's export to S3 and import from S3 behave as AWS documents them, where moto
5.2.1 departs from it (each difference is named in follow_dynamodb_export_and_import below).
"""
import base64
import gzip
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.datapipeline.models import DataPipelineBackend
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table_import import TableImport
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.dynamodb.responses import DynamoHandler
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


# Every request, and every background task of the emulator (an export or import finishing), runs
# under this lock, so each is atomic with respect to the others.
LOCK = threading.Lock()

DEVELOPER_GUIDE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
API_REFERENCE = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/"
# API_ExportTableToPointInTime, ClientToken: "A client token is valid for 8 hours after the first
# request that uses it is completed."
CLIENT_TOKEN_WINDOW = timedelta(hours=8)


class DynamoError(JsonRESTError):
    def __init__(self, name: str, message: str):
        super().__init__(ERROR_TYPE_PREFIX + name, message)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    """ISO 8601 with milliseconds, as manifest-summary.json writes times ("2020-11-04T07:28:34.028Z")."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _caller(handler: DynamoHandler) -> tuple[str, str | None]:
    """The calling account and, for assumed-role credentials, the role's ARN."""
    from moto.sts.models import sts_backends

    account = handler.current_account
    role = sts_backends[account]["aws"].get_assumed_role_from_access_key(handler.get_access_key())
    return account, role.role_arn if role is not None else None


def _table_id(table: Any) -> str:
    """A table's id (DescribeTable's TableId; moto has none): one UUID per table, kept on it."""
    if not hasattr(table, "aws_table_id"):
        table.aws_table_id = str(uuid.uuid4())
    return table.aws_table_id


def _wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM's `*` and `?` wildcards."""
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bucket_allows(bucket: Any, owner: str, account: str, role_arn: str | None, action: str, resource: str) -> bool:
    """
    Whether a principal of another account may perform `action` on `resource` of this bucket, as far
    as moto can tell. AWS needs both the caller's identity policy and the bucket policy to allow a
    cross-account request (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-policy-language-overview.html);
    moto evaluates no identity policies, so this asks the bucket policy only: an Allow naming the
    caller (`*`, its account id or root ARN, or its role's ARN), the action and the resource, and
    no unconditional Deny. Conditions cannot be evaluated for a request DynamoDB makes (TLS,
    organization, headers): an Allow with conditions counts, a Deny with conditions is not applied.
    Policy variables `${aws:PrincipalAccount}` and `${aws:ResourceAccount}` are substituted.
    """
    if account == owner:
        return True  # the bucket's own account: its identity policies decide, and moto checks none
    if bucket.policy is None:
        return False
    document = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
    principals = {"*", account, f"arn:aws:iam::{account}:root"} | ({role_arn} if role_arn else set())
    allowed = False
    for statement in _listed(document.get("Statement", [])):
        if "Action" not in statement or "Resource" not in statement:
            continue  # NotAction / NotResource statements: not evaluated here
        principal = statement.get("Principal")
        named = _listed(principal.get("AWS", [])) if isinstance(principal, dict) else _listed(principal)
        if not principals.intersection(named):
            continue
        if not any(_wildcard(a, action, case_sensitive=False) for a in _listed(statement["Action"])):
            continue
        resources = [
            r.replace("${aws:PrincipalAccount}", account).replace("${aws:ResourceAccount}", owner)
            for r in _listed(statement["Resource"])
        ]
        if not any(_wildcard(r, resource) for r in resources):
            continue
        if statement.get("Effect") == "Deny" and not statement.get("Condition"):
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _bucket_of(name: str, owner: str) -> tuple[Any, Any, str | None]:
    """(S3 backend of `owner`, the bucket, None) or (None, None, failure code) if `owner` has no such bucket."""
    from moto.s3.models import s3_backends

    s3 = s3_backends[owner]["aws"]
    bucket = s3.buckets.get(name)
    if bucket is not None:
        return s3, bucket, None
    # Bucket names are global: a bucket of another account is refused, not missing.
    return None, None, "S3AccessDenied" if name in s3_backends.bucket_accounts else "S3NoSuchBucket"


class AwsExport(threading.Thread):
    """
    One ExportTableToPointInTime, written as the developer guide's S3DataExport.Output page
    documents (moto 5.2.1 writes one data file under a second random id, no `_started`, no manifests):

        S3Prefix/AWSDynamoDB/<ExportId>/_started                 empty, written first
        S3Prefix/AWSDynamoDB/<ExportId>/data/<random>.json.gz    gzipped DYNAMODB_JSON, one {"Item":…} a line
        S3Prefix/AWSDynamoDB/<ExportId>/manifest-files.json      a JSON line per data file
        S3Prefix/AWSDynamoDB/<ExportId>/manifest-files.checksum
        S3Prefix/AWSDynamoDB/<ExportId>/manifest-summary.json    written last
        S3Prefix/AWSDynamoDB/<ExportId>/manifest-summary.checksum

    The ExportId is AWS's shape (`01234567890123-a1b2c3d4`: 14 digits of epoch milliseconds, 8 hex
    digits), the ARN `<TableArn>/export/<ExportId>` (moto's names the bucket owner's account and
    `import`). The items are taken when the request is made, the files written after it returns
    (IN_PROGRESS, then COMPLETED), under the server's lock. The `.checksum` files hold the hex MD5 of
    the manifest they sit beside (their format is not documented). moto keeps no history, so
    `ExportTime` is recorded but the items are those of the request's time.
    """

    def __init__(self, table: Any, request: dict[str, Any], account: str, role_arn: str | None):
        super().__init__(daemon=True)
        now = _now()
        self.export_id = f"{int(now.timestamp() * 1000):014d}-{secrets.token_hex(4)}"
        self.arn = f"{table.table_arn}/export/{self.export_id}"
        self.table_arn = table.table_arn
        self.table_id = _table_id(table)
        self.request = {k: v for k, v in request.items() if k != "ClientToken"}
        self.client_token: str | None = request.get("ClientToken")
        self.bucket: str = request["S3Bucket"]
        self.bucket_owner: str | None = request.get("S3BucketOwner")
        self.prefix: str | None = request.get("S3Prefix")
        self.export_format: str = request.get("ExportFormat") or "DYNAMODB_JSON"
        self.export_type: str = request.get("ExportType") or "FULL_EXPORT"
        self.sse: str | None = request.get("S3SseAlgorithm")
        self.sse_key: str | None = request.get("S3SseKmsKeyId")
        self.start_time = now
        self.export_time = (
            datetime.fromtimestamp(float(request["ExportTime"]), timezone.utc) if request.get("ExportTime") else now
        )
        self.end_time: datetime | None = None
        self.status = "IN_PROGRESS"
        self.failure_code: str | None = None
        self.failure_message: str | None = None
        self.account = account
        self.role_arn = role_arn
        items = table.all_items()
        self.lines = [dynamo_json_dump(item.to_json(root_attr_name="Item")) + "\n" for item in items]
        self.billed_size_bytes = sum(item.size() for item in items)
        self.item_count = 0
        # "export-prefix/AWSDynamoDB/ExportId/" (S3DataExport.Output), the prefix taken as given.
        self.base = f"{self.prefix}/AWSDynamoDB/{self.export_id}/" if self.prefix else f"AWSDynamoDB/{self.export_id}/"

    def run(self) -> None:
        with LOCK:
            try:
                self._write()
            except Exception as e:  # an emulator fault, reported as the export's failure
                self._fail("UNKNOWN", str(e))

    def _fail(self, code: str, message: str) -> None:
        self.status, self.failure_code, self.failure_message, self.end_time = "FAILED", code, message, _now()

    def _write(self) -> None:
        owner = self.bucket_owner or self.account
        s3, bucket, missing = _bucket_of(self.bucket, owner)
        if missing is not None:
            owner_hint = "" if self.bucket_owner else " (a bucket of another account needs S3BucketOwner)"
            return self._fail(missing, f"Cannot write to bucket {self.bucket} of account {owner}{owner_hint}")
        started = f"{self.base}_started"
        if not _bucket_allows(bucket, owner, self.account, self.role_arn, "s3:PutObject", f"arn:aws:s3:::{self.bucket}/{started}"):
            return self._fail(
                "S3AccessDenied",
                f"Access Denied: the bucket policy of {self.bucket} does not allow s3:PutObject on {started} to account {self.account}",
            )

        def put(key: str, body: bytes) -> None:
            # A bucket's default Object Lock retention binds every new object, whoever writes it
            # (S3 user guide, object-lock); moto applies it in its HTTP layer only.
            lock = {"lock_mode": bucket.default_lock_mode, "lock_until": bucket.default_retention()} if bucket.has_default_lock else {}
            s3.put_object(bucket_name=self.bucket, key_name=key, value=body, **lock)

        put(started, b"")
        body = gzip.compress("".join(self.lines).encode("utf-8"), mtime=0)
        name = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
        data_key = f"{self.base}data/{name}.json.gz"
        put(data_key, body)
        entry = {
            "itemCount": len(self.lines),
            "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "etag": hashlib.md5(body).hexdigest(),
            "dataFileS3Key": data_key,
        }
        files = (json.dumps(entry) + "\n").encode()
        files_key = f"{self.base}manifest-files.json"
        put(files_key, files)
        put(f"{self.base}manifest-files.checksum", hashlib.md5(files).hexdigest().encode())
        self.item_count = len(self.lines)
        self.end_time = _now()
        summary = json.dumps(
            {
                "version": "2020-06-30",
                "exportArn": self.arn,
                "startTime": _iso(self.start_time),
                "endTime": _iso(self.end_time),
                "tableArn": self.table_arn,
                "tableId": self.table_id,
                "exportTime": _iso(self.export_time),
                "s3Bucket": self.bucket,
                "s3Prefix": self.prefix,
                "s3SseAlgorithm": self.sse,
                "s3SseKmsKeyId": self.sse_key,
                "manifestFilesS3Key": files_key,
                "billedSizeBytes": self.billed_size_bytes,
                "itemCount": self.item_count,
                "outputFormat": self.export_format,
            }
        ).encode()
        put(f"{self.base}manifest-summary.json", summary)
        put(f"{self.base}manifest-summary.checksum", hashlib.md5(summary).hexdigest().encode())
        self.status = "COMPLETED"

    def description(self) -> dict[str, Any]:
        """ExportDescription (API_ExportDescription)."""
        d = {
            "ExportArn": self.arn,
            "ExportStatus": self.status,
            "StartTime": self.start_time,
            "EndTime": self.end_time,
            "ExportManifest": f"{self.base}manifest-summary.json" if self.status == "COMPLETED" else None,
            "TableArn": self.table_arn,
            "TableId": self.table_id,
            "ExportTime": self.export_time,
            "ClientToken": self.client_token,
            "S3Bucket": self.bucket,
            "S3BucketOwner": self.bucket_owner,
            "S3Prefix": self.prefix,
            "S3SseAlgorithm": self.sse,
            "S3SseKmsKeyId": self.sse_key,
            "FailureCode": self.failure_code,
            "FailureMessage": self.failure_message,
            "ExportFormat": self.export_format,
            "BilledSizeBytes": self.billed_size_bytes if self.status == "COMPLETED" else None,
            "ItemCount": self.item_count if self.status == "COMPLETED" else None,
            "ExportType": self.export_type,
        }
        return {k: v for k, v in d.items() if v is not None}


def _exports(backend: DynamoDBBackend) -> dict[str, AwsExport]:
    if not hasattr(backend, "aws_exports"):
        backend.aws_exports = {}
    return backend.aws_exports


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    start = int(token) if token else 0
    end = start + size
    return items[start:end], str(end) if end < len(items) else None


def export_table_to_point_in_time(self: DynamoHandler) -> ActionResult:
    """
    ExportTableToPointInTime as API_ExportTableToPointInTime documents it:
    - `ClientToken`: the same token with the same parameters within 8 hours returns the first
      export, no second one; with other parameters it fails (the API reference names the error
      IdempotentParameterMismatch in one place and ImportConflictException in another; neither is
      an error the operation declares, so this answers ExportConflictException, which it does);
    - `S3BucketOwner`: the bucket is looked up in that account, and a caller of another account
      needs the bucket policy to allow it s3:PutObject (S3DataExport_Requesting: without
      S3BucketOwner a cross-account export fails with Access Denied);
    - `S3Prefix` is optional (moto requires it); the default ExportFormat is DYNAMODB_JSON (moto
      says DYNAMO_JSON);
    - INCREMENTAL_EXPORT and ION are refused: moto cannot write them as AWS does (its incremental
      export is a full dump), and a test must not believe it made one.
    """
    body = self.body
    account, role_arn = _caller(self)
    if (body.get("ExportType") or "FULL_EXPORT") != "FULL_EXPORT" or (body.get("ExportFormat") or "DYNAMODB_JSON") != "DYNAMODB_JSON":
        raise DynamoError("ValidationException", "This emulator writes FULL_EXPORT in DYNAMODB_JSON only")
    if body.get("ExportTime") and float(body["ExportTime"]) > _now().timestamp():
        raise DynamoError("InvalidExportTimeException", "ExportTime is in the future")
    exports = _exports(self.dynamodb_backend)
    token = body.get("ClientToken")
    if token:
        for previous in exports.values():
            if previous.client_token != token:
                continue
            if previous.end_time is not None and _now() - previous.end_time > CLIENT_TOKEN_WINDOW:
                continue
            if previous.request != {k: v for k, v in body.items() if k != "ClientToken"}:
                raise DynamoError(
                    "ExportConflictException",
                    f"ClientToken {token} was used within 8 hours for an export with other parameters ({previous.arn})",
                )
            return ActionResult({"ExportDescription": previous.description()})
    table = next((t for t in self.dynamodb_backend.tables.values() if t.table_arn == body["TableArn"]), None)
    if table is None:
        raise DynamoError("TableNotFoundException", f"Table not found: {body['TableArn']}")
    if table.continuous_backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] != "ENABLED":
        raise DynamoError("PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{table.name}'")
    export = AwsExport(table, body, account, role_arn)
    exports[export.arn] = export
    response = export.description()
    export.start()
    return ActionResult({"ExportDescription": response})


def describe_export(self: DynamoHandler) -> ActionResult:
    export = _exports(self.dynamodb_backend).get(self.body["ExportArn"])
    if export is None:
        raise DynamoError("ExportNotFoundException", f"Export not found: {self.body['ExportArn']}")
    return ActionResult({"ExportDescription": export.description()})


def list_exports(self: DynamoHandler) -> ActionResult:
    """ListExports (API_ListExports): TableArn optional, MaxResults up to 25, NextToken; every field of ExportSummary."""
    table_arn = self.body.get("TableArn")
    chosen = [e for e in _exports(self.dynamodb_backend).values() if table_arn in (None, e.table_arn)]
    page, token = _page(chosen, self.body.get("NextToken"), int(self.body.get("MaxResults") or 25))
    summaries = [{"ExportArn": e.arn, "ExportStatus": e.status, "ExportType": e.export_type} for e in page]
    return ActionResult({"ExportSummaries": summaries, **({"NextToken": token} if token else {})})


class AwsImport(TableImport):
    """
    One ImportTable. moto 5.2.1 reads the bucket of the caller's own account whatever
    `S3BucketSource.S3BucketOwner` says; AWS reads the owner's bucket (API_S3BucketSource:
    "The account number of the S3 bucket that is being imported from"), and a caller of another
    account needs s3:ListBucket on the bucket and s3:GetObject on the objects
    (S3DataImport.Requesting). Every object under S3KeyPrefix is read ("The key prefix shared by
    all S3 Objects that are being imported"): give the export's `data/` prefix, not its root.
    Runs under the server's lock, like the export.
    """

    def __init__(self, role_arn: str | None, request: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.role_arn = role_arn
        self.request = request
        self.bucket_owner = self.s3_source.get("S3BucketOwner") or self.account_id
        self.start_time = _now()
        self.end_time: datetime | None = None

    def run(self) -> None:
        with LOCK:
            try:
                self._import()
            except Exception as e:
                self.status, self.failure_code, self.failure_message = "FAILED", "UNKNOWN", str(e)
            self.end_time = _now()

    def _import(self) -> None:
        name = self.s3_source["S3Bucket"]
        s3, bucket, missing = _bucket_of(name, self.bucket_owner)
        if missing is not None:
            self.status, self.failure_code = "FAILED", missing
            self.failure_message = f"Cannot read bucket {name} of account {self.bucket_owner}"
            return
        prefix = self.s3_source.get("S3KeyPrefix") or ""
        keys, _, _, _ = s3.list_objects(bucket, prefix=prefix, delimiter=None, marker=None, max_keys=None)
        denied = [
            what
            for action, what in [("s3:ListBucket", f"arn:aws:s3:::{name}")]
            + [("s3:GetObject", f"arn:aws:s3:::{name}/{k.name}") for k in keys]
            if not _bucket_allows(bucket, self.bucket_owner, self.account_id, self.role_arn, action, what)
        ]
        if denied:
            self.status, self.failure_code = "FAILED", "S3AccessDenied"
            self.failure_message = f"Access Denied for account {self.account_id} to {denied[0]}"
            return
        self._load(s3, bucket, keys)

    def _load(self, s3: Any, bucket: Any, keys: Any) -> None:
        """
        Creates the table and puts every item of the objects read. DYNAMODB_JSON is one JSON object
        a line (S3DataImport.Format); moto 5.2.1 reads it with a parser of its own that leaves
        `\\u` escapes and backslashes undecoded and loses items (20 of the 24 of test/support/items.ts
        came through), so each line is read as JSON here.
        """
        from moto.dynamodb.models import dynamodb_backends

        self.table = dynamodb_backends[self.account_id][self.region_name].create_table(
            name=self.table_name,
            billing_mode=self.billing_mode,
            throughput=self.throughput,
            schema=self.key_schema,
            global_indexes=self.global_indexes,
            indexes=None,
            attr=self.attrs,
            sse_specification=None,
            streams=None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
        for key in sorted(keys, key=lambda k: k.name):
            raw = key.value
            content = gzip.decompress(raw) if self.compression_type == "GZIP" and raw else raw
            for line in content.decode("utf-8").splitlines():
                if not line.strip():
                    continue
                self.processed_count += 1
                self.processed_bytes += len(line.encode("utf-8"))
                try:
                    self.table.put_item(item_attrs=json.loads(line)["Item"])
                    self.imported_count += 1
                except Exception as e:
                    self.failure_message = str(e)
                    self.error_count += 1
        self.status = "COMPLETED" if self.error_count == 0 else "FAILED"

    def response(self) -> dict[str, Any]:
        """ImportTableDescription (API_ImportTableDescription), with what moto leaves out."""
        d = {
            **super().response(),
            "S3BucketSource": self.s3_source,
            "InputFormat": self.request.get("InputFormat") or "DYNAMODB_JSON",
            "InputCompressionType": self.request.get("InputCompressionType") or "NONE",
            "TableCreationParameters": self.request.get("TableCreationParameters"),
            "ClientToken": self.request.get("ClientToken"),
            "StartTime": self.start_time,
            "EndTime": self.end_time,
        }
        return {k: v for k, v in d.items() if v is not None}


def import_table(self: DynamoHandler) -> ActionResult:
    body = self.body
    parameters = body["TableCreationParameters"]
    self._validate_table_creation(
        billing_mode=parameters.get("BillingMode"),
        throughput=parameters.get("ProvisionedThroughput"),
        key_schema=parameters["KeySchema"],
        global_indexes=parameters.get("GlobalSecondaryIndexes"),
        local_secondary_indexes=None,
        attr=parameters["AttributeDefinitions"],
        warm_throughput=None,
    )
    if (body.get("InputFormat") or "DYNAMODB_JSON") != "DYNAMODB_JSON":
        raise DynamoError("ValidationException", "This emulator imports DYNAMODB_JSON only")
    account, role_arn = _caller(self)
    backend = self.dynamodb_backend
    table_import = AwsImport(
        role_arn,
        body,
        account_id=account,
        s3_source=body["S3BucketSource"],
        region_name=backend.region_name,
        table_name=parameters["TableName"],
        billing_mode=parameters.get("BillingMode") or "PROVISIONED",
        throughput=parameters.get("ProvisionedThroughput"),
        key_schema=parameters["KeySchema"],
        global_indexes=parameters.get("GlobalSecondaryIndexes"),
        attrs=parameters["AttributeDefinitions"],
        compression_type=body.get("InputCompressionType") or "NONE",
    )
    backend.table_imports[table_import.arn] = table_import
    response = table_import.response()
    table_import.start()
    return ActionResult({"ImportTableDescription": response})


def list_imports(self: DynamoHandler) -> ActionResult:
    """ListImports (API_ListImports), which moto 5.2.1 lacks: TableArn optional, PageSize up to 25, NextToken."""
    table_arn = self.body.get("TableArn")
    chosen = [i for i in self.dynamodb_backend.table_imports.values() if table_arn in (None, i.table_arn)]
    page, token = _page(chosen, self.body.get("NextToken"), int(self.body.get("PageSize") or 25))
    summaries = [
        {
            k: v
            for k, v in {
                "ImportArn": i.arn,
                "ImportStatus": i.status,
                "TableArn": i.table_arn,
                "S3BucketSource": i.s3_source,
                "InputFormat": getattr(i, "request", {}).get("InputFormat") or "DYNAMODB_JSON",
                "StartTime": getattr(i, "start_time", None),
                "EndTime": getattr(i, "end_time", None),
            }.items()
            if v is not None
        }
        for i in page
    ]
    return ActionResult({"ImportSummaryList": summaries, **({"NextToken": token} if token else {})})


def follow_dynamodb_export_and_import() -> None:
    """DynamoDB's export to S3 and import from S3 as AWS documents them (see AwsExport, AwsImport and the handlers above)."""
    DynamoHandler.export_table_to_point_in_time = export_table_to_point_in_time
    DynamoHandler.describe_export = describe_export
    DynamoHandler.list_exports = list_exports
    DynamoHandler.import_table = import_table
    DynamoHandler.list_imports = list_imports


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    follow_create_pipeline_idempotency()
    follow_dynamodb_export_and_import()
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = LOCK

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
