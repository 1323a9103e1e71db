import type { TableRecord } from '../../adapters/registry';
import type { TableRef } from '../../domain/table-ref';
import { ActivationFailedError, LeaseLostError, PipelineDefinitionError } from '../../errors';
import type { PipelineApi } from './api';
import type { PipelineObject } from './definition';
import { pipelineName, pipelineTags, pipelineUniqueId } from './naming';
import { validateDefinition } from './validate';

export interface ProvisionInput {
  table: TableRef;
  /** The registry record as claimed (this worker holds its lease). */
  record: TableRecord;
  pipelineRegion: string;
  definition: readonly PipelineObject[];
  api: PipelineApi;
  /** Persists fields on the claimed record; resolves false if the lease was lost. */
  save: (fields: Partial<TableRecord>) => Promise<boolean>;
  /** Records the table as backed up; run alongside ActivatePipeline (see provisionExportPipeline). */
  markActive: (pipelineId: string) => Promise<unknown>;
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
  const { record, api, table } = input;
  const reborn = record.status === 'OFFBOARDED';
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
    saved = input.save({ pipelineId, pipelineRegion: input.pipelineRegion, uniqueId, generation, status: 'CREATED' });
  }
  const id = pipelineId;
  const [stillOurs, warnings] = await Promise.all([saved, api.putDefinition(id, input.definition)]);
  if (!stillOurs) throw new LeaseLostError(`lost the registry lease on ${table.tableArn} while defining pipeline ${id}`);
  // The registry is marked ACTIVE while ActivatePipeline runs, not after it: one round trip less
  // on every onboarding. If activation fails, the caller overwrites the mark with
  // ACTIVATION_FAILED once both have settled (so the failure always lands last) and the retry
  // completes the same pipeline. The one case not covered is the process dying while both are
  // in flight: the registry then says ACTIVE for a pipeline that may not be, which the hourly
  // health check reports as not SCHEDULED (and alarms on).
  const [activation, marked] = await Promise.allSettled([api.activate(id), input.markActive(id)]);
  if (activation.status === 'rejected') throw new ActivationFailedError(id, activation.reason);
  if (marked.status === 'rejected') throw marked.reason;
  return { pipelineId: id, created, warnings };
}
