import {
  ActivatePipelineCommand,
  CreatePipelineCommand,
  type DataPipelineClient,
  DeactivatePipelineCommand,
  DeletePipelineCommand,
  DescribePipelinesCommand,
  GetPipelineDefinitionCommand,
  PutPipelineDefinitionCommand,
  paginateListPipelines,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-data-pipeline';
import type { FinalizeRequestMiddleware } from '@aws-sdk/types';
import { PipelineDefinitionError } from '../../errors';
import { fromApiObjects, type PipelineObject, toApiObjects } from './definition';

/** DescribePipelines takes at most this many ids a call. */
const DESCRIBE_BATCH = 25;

export interface PipelineStatus {
  pipelineId: string;
  name: string;
  description?: string;
  state?: string;
  health?: string;
  latestRunTime?: string;
  nextRunTime?: string;
  uniqueId?: string;
  tags: Record<string, string>;
}

/** The Data Pipeline calls the product makes, in one account and region: what the engine is handed (a test can wrap it). */
export interface PipelineCalls {
  /** Fetches the client's credentials ahead of the first call, so that it can overlap other work. */
  warm(): Promise<void>;
  create(input: { name: string; uniqueId: string; description: string; tags: Record<string, string> }): Promise<string>;
  /** Replaces the definition; a definition the service marks errored or invalid throws. Returns the service's warnings. */
  putDefinition(pipelineId: string, objects: readonly PipelineObject[]): Promise<string[]>;
  activate(pipelineId: string): Promise<void>;
  deactivate(pipelineId: string): Promise<void>;
  delete(pipelineId: string): Promise<void>;
  getDefinition(pipelineId: string): Promise<PipelineObject[]>;
  describe(pipelineIds: readonly string[]): Promise<PipelineStatus[]>;
  /** Every pipeline of the account in this region: id and name. */
  list(): Promise<Array<{ id: string; name: string }>>;
  listIds(): Promise<string[]>;
  findByUniqueId(uniqueId: string): Promise<PipelineStatus | undefined>;
}

/** PipelineCalls through the Data Pipeline client. */
export class PipelineApi implements PipelineCalls {
  constructor(
    private readonly client: DataPipelineClient,
    /** Fetches the client's credentials ahead of the first call, so that it can overlap other work. */
    private readonly warmUp?: () => Promise<unknown>,
    /**
     * Paces every request that leaves the process (Data Pipeline's per-account rate limit). It runs
     * inside the SDK's retry loop, so that a retried attempt waits for its own turn like any other
     * call (paced once per `send`, the retries of throttled calls went out unpaced and drew more
     * throttling), and before signing, so that a long wait never sends a stale signature.
     */
    pace?: () => Promise<void>,
  ) {
    if (pace !== undefined) {
      const paced: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
        await pace();
        return next(args);
      };
      client.middlewareStack.addRelativeTo(paced, {
        name: 'dataPipelinePace',
        relation: 'after',
        toMiddleware: 'retryMiddleware',
        override: true,
      });
    }
  }

  async warm(): Promise<void> {
    await this.warmUp?.();
  }

  async create(input: {
    name: string;
    uniqueId: string;
    description: string;
    tags: Record<string, string>;
  }): Promise<string> {
    const out = await this.client.send(
      new CreatePipelineCommand({
        name: input.name,
        uniqueId: input.uniqueId,
        description: input.description,
        tags: Object.entries(input.tags).map(([key, value]) => ({ key, value })),
      }),
    );
    if (out.pipelineId === undefined) throw new Error('CreatePipeline returned no pipelineId');
    return out.pipelineId;
  }

  /** Replaces the definition; a definition the service marks errored or invalid throws. */
  async putDefinition(pipelineId: string, objects: readonly PipelineObject[]): Promise<string[]> {
    const out = await this.client.send(
      new PutPipelineDefinitionCommand({ pipelineId, pipelineObjects: toApiObjects(objects) }),
    );
    const errors = (out.validationErrors ?? []).flatMap((e) => (e.errors ?? []).map((m) => `${e.id ?? '?'}: ${m}`));
    if (out.errored === true || errors.length > 0) {
      throw new PipelineDefinitionError(
        `PutPipelineDefinition rejected the definition of ${pipelineId}`,
        errors.length > 0 ? errors : ['errored'],
      );
    }
    return (out.validationWarnings ?? []).flatMap((w) => (w.warnings ?? []).map((m) => `${w.id ?? '?'}: ${m}`));
  }

  async activate(pipelineId: string): Promise<void> {
    await this.client.send(new ActivatePipelineCommand({ pipelineId }));
  }

  async deactivate(pipelineId: string): Promise<void> {
    await this.client.send(new DeactivatePipelineCommand({ pipelineId, cancelActive: true }));
  }

  async delete(pipelineId: string): Promise<void> {
    await this.client.send(new DeletePipelineCommand({ pipelineId }));
  }

  async getDefinition(pipelineId: string): Promise<PipelineObject[]> {
    const out = await this.client.send(new GetPipelineDefinitionCommand({ pipelineId }));
    return fromApiObjects(out.pipelineObjects ?? []);
  }

  async describe(pipelineIds: readonly string[]): Promise<PipelineStatus[]> {
    const out: PipelineStatus[] = [];
    for (let i = 0; i < pipelineIds.length; i += DESCRIBE_BATCH) {
      const res = await this.client.send(
        new DescribePipelinesCommand({ pipelineIds: pipelineIds.slice(i, i + DESCRIBE_BATCH) }),
      );
      for (const d of res.pipelineDescriptionList ?? []) {
        const field = (k: string) => d.fields?.find((f) => f.key === k)?.stringValue;
        out.push({
          pipelineId: d.pipelineId ?? '',
          name: d.name ?? '',
          description: d.description,
          state: field('@pipelineState'),
          health: field('@healthStatus'),
          latestRunTime: field('@latestRunTime'),
          nextRunTime: field('@nextRunTime'),
          uniqueId: field('uniqueId'),
          tags: Object.fromEntries((d.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
        });
      }
    }
    return out;
  }

  async list(): Promise<Array<{ id: string; name: string }>> {
    const pipelines: Array<{ id: string; name: string }> = [];
    for await (const page of paginateListPipelines({ client: this.client }, {})) {
      for (const p of page.pipelineIdList ?? [])
        if (p.id !== undefined) pipelines.push({ id: p.id, name: p.name ?? '' });
      if (page.hasMoreResults !== true) break; // the API's own end marker; `marker` alone may be left set
    }
    return pipelines;
  }

  async listIds(): Promise<string[]> {
    return (await this.list()).map((p) => p.id);
  }

  /**
   * Finds a pipeline by its uniqueId. CreatePipeline is idempotent on (name, uniqueId) in AWS,
   * but not in every emulator; after a crash between CreatePipeline and recording its id this
   * is how the retry finds the pipeline it already made.
   */
  async findByUniqueId(uniqueId: string): Promise<PipelineStatus | undefined> {
    const all = await this.describe(await this.listIds());
    return all.find((p) => p.uniqueId === uniqueId);
  }
}
