/**
 * Domain errors. Each is mapped once, in lib/observability.ts, to a log line and a metric.
 * `retryable` tells the handler whether a retry (EventBridge / Lambda async retry) can help.
 */
export abstract class OrchestratorError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment is missing a variable or holds a malformed one. */
export class ConfigError extends OrchestratorError {
  readonly retryable = false;
}

/** The event is not a CloudTrail DynamoDB API-call event we can read. */
export class InvalidEventError extends OrchestratorError {
  readonly retryable = false;
}

/** A pipeline definition broke a Data Pipeline rule (checked locally or reported by the service). */
export class PipelineDefinitionError extends OrchestratorError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(`${message}: ${problems.join('; ')}`);
  }
}

/** ActivatePipeline failed; the pipeline exists and the next attempt reuses it. */
export class ActivationFailedError extends OrchestratorError {
  readonly retryable = true;
  constructor(
    readonly pipelineId: string,
    cause: unknown,
  ) {
    super(`ActivatePipeline failed for ${pipelineId}: ${describeCause(cause)}`, { cause });
  }
}

/** The bucket policy currently in place cannot be read as a policy document. */
export class PolicyParseError extends OrchestratorError {
  readonly retryable = false;
}

/** The merged policy would exceed the S3 bucket policy size limit. */
export class PolicyTooLargeError extends OrchestratorError {
  readonly retryable = false;
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`bucket policy would be ${bytes} bytes, over the S3 limit of ${limit} bytes; nothing was written`);
  }
}

/** A merge would have lost or changed a statement the product does not own. Never written. */
export class PolicyIntegrityError extends OrchestratorError {
  readonly retryable = false;
}

/** A use case tried to move a table's record along a transition its lifecycle (lib/domain/lifecycle.ts) does not have. */
export class IllegalTransitionError extends OrchestratorError {
  readonly retryable = false;
  constructor(
    readonly from: string,
    readonly event: string,
  ) {
    super(`the table lifecycle has no transition "${event}" from ${from}`);
  }
}

/** Another worker holds the lock and did not release it in time. */
export class LockBusyError extends OrchestratorError {
  readonly retryable = true;
}

/** Our lease expired (or was taken over) before we finished: the write was abandoned. */
export class LeaseLostError extends OrchestratorError {
  readonly retryable = true;
}

/** The bucket policy changed under us more times than we are willing to retry. */
export class PolicyConflictError extends OrchestratorError {
  readonly retryable = true;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** A restore that cannot go ahead, and why (nothing was written). */
export class RestoreRefusedError extends OrchestratorError {
  readonly retryable = false;
}
