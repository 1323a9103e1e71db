import type { PipelineStatus } from './api';

/** What is wrong with a registered pipeline, if anything. */
export type PipelineProblem = 'error' | 'not-scheduled' | 'vanished';

/**
 * A pipeline is healthy when it is SCHEDULED and its health is not ERROR. A pipeline the
 * registry knows but the account no longer lists has vanished (deleted by hand, or by AWS).
 */
export function classifyPipeline(status: PipelineStatus | undefined): PipelineProblem | undefined {
  if (status === undefined) return 'vanished';
  if (status.health === 'ERROR') return 'error';
  if (status.state !== 'SCHEDULED') return 'not-scheduled';
  return undefined;
}
