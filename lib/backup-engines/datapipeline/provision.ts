import { isReborn } from '../../domain/lifecycle';
import type { TableRef } from '../../domain/table-ref';
import { ActivationFailedError, LeaseLostError, PipelineDefinitionError } from '../../errors';
import type { ClaimedTable } from '../../ports/backup-engine';
import type { PipelineCalls } from './api';
import type { PipelineObject } from './definition';
import { pipelineName, pipelineTags, pipelineUniqueId } from './naming';
import { validateDefinition } from './validate';

export interface ProvisionInput {
  table: TableRef;
  /** The registry record as claimed (this worker holds its lease), and how to record progress on it. */
  claim: ClaimedTable;
  pipelineRegion: string;
  definition: readonly PipelineObject[];
  api: PipelineCalls;
}

export interface ProvisionResult {
  pipelineId: string;
  /** True when this call created the pipeline (false: reused one from an earlier attempt). */
  created: boolean;
  warnings: string[];
}

/** Throws PipelineDefinitionError unless the definition passes local validation. */
export function assertValidDefinition(definition: readonly PipelineObject[]): void {
  const problems = validateDefinition(definition);
  if (problems.length > 0) throw new PipelineDefinitionError('the pipeline definition is invalid', problems);
}

/**
 * Find-or-create, define and activate the table's export pipeline. Idempotent across retries:
 * the id recorded in the registry is reused; if an earlier attempt died between CreatePipeline
 * and recording the id, the pipeline is found by its uniqueId instead of being made twice.
 */
export async function provisionExportPipeline(input: ProvisionInput): Promise<ProvisionResult> {
  const { claim, api, table } = input;
  const { record } = claim;
  const reborn = isReborn(record);
  const generation = reborn ? record.generation + 1 : record.generation;
  const uniqueId = pipelineUniqueId(table, generation);

  let pipelineId = reborn ? undefined : record.pipelineId;
  let created = false;
  let saved: Promise<boolean> = Promise.resolve(true);
  if (pipelineId === undefined) {
    if (record.attempts > 1) pipelineId = (await api.findByUniqueId(uniqueId))?.pipelineId;
    if (pipelineId === undefined) {
      pipelineId = await api.create({
        name: pipelineName(table),
        uniqueId,
        description: `Nightly export of ${table.tableArn} to the backup bucket`,
        tags: pipelineTags(table),
      });
      created = true;
    }
    saved = claim.recordCreated({ pipelineId, pipelineRegion: input.pipelineRegion, uniqueId, generation });
  }
  const id = pipelineId;
  const [stillOurs, warnings] = await Promise.all([saved, api.putDefinition(id, input.definition)]);
  if (!stillOurs)
    throw new LeaseLostError(`lost the registry lease on ${table.tableArn} while defining pipeline ${id}`);
  // The registry is marked ACTIVE while ActivatePipeline runs, not after it: one round trip less
  // on every onboarding. If activation fails, the caller overwrites the mark with
  // ACTIVATION_FAILED once both have settled (so the failure always lands last) and the retry
  // completes the same pipeline. The one case not covered is the process dying while both are
  // in flight: the registry then says ACTIVE for a pipeline that may not be, which the hourly
  // health check reports as not SCHEDULED (and alarms on).
  const [activation, marked] = await Promise.allSettled([api.activate(id), claim.markActive(id)]);
  if (activation.status === 'rejected') throw new ActivationFailedError(id, activation.reason);
  if (marked.status === 'rejected') throw marked.reason;
  return { pipelineId: id, created, warnings };
}
