// Quiet, deterministic test process: no EMF output, no SDK Node-version banner, and never a real AWS endpoint.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-1';
if (process.env.AWS_ENDPOINT_URL === undefined) process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
