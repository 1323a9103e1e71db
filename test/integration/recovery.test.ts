import { ListPipelinesCommand } from '@aws-sdk/client-data-pipeline';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { PipelineCalls } from '../../lib/backup-engines/datapipeline/api';
import { dataPipelineEngine } from '../../lib/backup-engines/datapipeline/engine';
import { parseConfig } from '../../lib/config';
import type { TableRef } from '../../lib/domain/table-ref';
import { ActivationFailedError } from '../../lib/errors';
import type { TableRegistry } from '../../lib/ports/table-registry';
import { type OnboardResult, onboardTable } from '../../lib/usecases/onboard';
import { createServices, type Services } from '../../lib/wiring';
import { provisionSandbox } from '../../scripts/sandbox';
import { recordFigure } from '../support/figures';
import { accountClients, describeWithMoto, REGISTRY, SOURCE_A, useMoto } from '../support/integration';
import { recordingTelemetry } from '../support/telemetry';

const table = (name: string): TableRef => ({
  accountId: SOURCE_A,
  region: 'us-east-1',
  tableName: name,
  tableArn: `arn:aws:dynamodb:us-east-1:${SOURCE_A}:table/${name}`,
});

function onboarded(r: OnboardResult) {
  if (r.outcome === 'ignored') throw new Error(`unexpectedly ignored: ${r.message}`);
  return r;
}

describeWithMoto('onboarding retries (against moto_server)', () => {
  useMoto();
  let services: Services;
  let clients: ReturnType<typeof accountClients>;
  const pipelineCount = async () =>
    ((await clients.pipelines(SOURCE_A).send(new ListPipelinesCommand({}))).pipelineIdList ?? []).length;
  const record = async (name: string) =>
    (
      await clients
        .registry()
        .send(new GetItemCommand({ TableName: REGISTRY, Key: { pk: { S: `TABLE#${SOURCE_A}#us-east-1#${name}` } } }))
    ).Item;

  beforeAll(async () => {
    const config = parseConfig(process.env);
    await provisionSandbox(config, []);
    services = createServices(config);
    clients = accountClients();
  });

  /** The Data Pipeline engine on the real calls, with one of them made to fail the first `times` times. */
  function failing(
    method: 'activate' | 'putDefinition',
    times: number,
    error = new Error('InternalServiceError: injected'),
  ) {
    let left = times;
    const fault = () => {
      if (left-- > 0) throw error;
    };
    return dataPipelineEngine((accountId: string, region: string): PipelineCalls => {
      const real = services.pipelines(accountId, region);
      return {
        warm: () => real.warm(),
        create: (input) => real.create(input),
        putDefinition: async (id, objects) => {
          if (method === 'putDefinition') fault();
          return real.putDefinition(id, objects);
        },
        activate: async (id) => {
          if (method === 'activate') fault();
          return real.activate(id);
        },
        deactivate: (id) => real.deactivate(id),
        delete: (id) => real.delete(id),
        getDefinition: (id) => real.getDefinition(id),
        describe: (ids) => real.describe(ids),
        list: () => real.list(),
        listIds: () => real.listIds(),
        findByUniqueId: (uniqueId) => real.findByUniqueId(uniqueId),
      };
    });
  }

  it('emits ActivationFailed exactly for the failed attempt, and the retry completes the same pipeline', async () => {
    const telemetry = recordingTelemetry();
    const before = await pipelineCount();
    const engine = failing('activate', 1);
    await expect(onboardTable({ ...services, engine, telemetry }, table('ledger'))).rejects.toThrow(
      ActivationFailedError,
    );
    expect(telemetry.metrics.filter((m) => m === 'ActivationFailed')).toHaveLength(1);
    const failed = await record('ledger');
    expect(failed?.status?.S).toBe('ACTIVATION_FAILED');
    expect(failed?.leaseOwner).toBeUndefined();

    const retry = await onboardTable({ ...services, engine, telemetry }, table('ledger'));
    expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: false, pipelineId: failed?.pipelineId?.S });
    expect(telemetry.metrics.filter((m) => m === 'ActivationFailed')).toHaveLength(1);
    expect(telemetry.metrics).toContain('TableOnboarded');
    expect(await pipelineCount()).toBe(before + 1);
    expect((await record('ledger'))?.status?.S).toBe('ACTIVE');
    recordFigure({
      scenario: 'Activation rejected once',
      size: 'ActivatePipeline fails on the first attempt',
      outcome: `${telemetry.metrics.filter((m) => m === 'ActivationFailed').length} ActivationFailed (the failed attempt only); the retry activated the same pipeline: ${(await pipelineCount()) - before} pipeline`,
    });
  });

  it('finds the pipeline made by an attempt that died before recording it, instead of making a second', async () => {
    const before = await pipelineCount();
    // The first attempt creates the pipeline, then "dies": its registry write of the id fails.
    const real = services.registry;
    let dropped = 0;
    const registry: TableRegistry = {
      getTable: (t) => real.getTable(t),
      claimTable: (t, owner, leaseMs, opts) => real.claimTable(t, owner, leaseMs, opts),
      listTables: () => real.listTables(),
      recordDrill: (t, drill) => real.recordDrill(t, drill),
      updateClaimed: async (t, owner, fields, opts) => {
        if (opts?.transition?.to === 'CREATED' && dropped++ === 0) throw new Error('Lambda timed out');
        return real.updateClaimed(t, owner, fields, opts);
      },
    };
    const telemetry = recordingTelemetry();
    await expect(onboardTable({ ...services, registry, telemetry }, table('audit'))).rejects.toThrow(
      'Lambda timed out',
    );
    expect(await pipelineCount()).toBe(before + 1);
    expect((await record('audit'))?.pipelineId).toBeUndefined();

    const retry = onboarded(await onboardTable({ ...services, telemetry }, table('audit')));
    expect(retry).toMatchObject({ outcome: 'onboarded', pipelineCreated: false });
    expect(await pipelineCount()).toBe(before + 1);
    expect((await record('audit'))?.pipelineId?.S).toBe(retry.pipelineId);
    recordFigure({
      scenario: 'Crash after CreatePipeline',
      size: 'the worker dies between CreatePipeline and recording its id',
      outcome: `the retry found the pipeline by its uniqueId (no second CreatePipeline) and activated it: ${(await pipelineCount()) - before} pipeline`,
    });
  });

  it('fails with a clear error, and creates nothing, when the table’s region has no Data Pipeline endpoint and no fallback is set', async () => {
    const before = await pipelineCount();
    const t = {
      ...table('eu-orders'),
      region: 'eu-central-1',
      tableArn: `arn:aws:dynamodb:eu-central-1:${SOURCE_A}:table/eu-orders`,
    };
    await expect(onboardTable({ ...services, telemetry: recordingTelemetry() }, t)).rejects.toThrow(
      /region eu-central-1 has no Data Pipeline endpoint and PIPELINE_REGION is not set/,
    );
    expect(await pipelineCount()).toBe(before);
  });

  it('puts the pipeline of a table in an unsupported region into PIPELINE_REGION, with the cluster in the table’s region', async () => {
    const config = { ...services.config, pipelineRegion: 'eu-west-1' };
    const t = {
      ...table('eu-orders'),
      region: 'eu-central-1',
      tableArn: `arn:aws:dynamodb:eu-central-1:${SOURCE_A}:table/eu-orders`,
    };
    const result = onboarded(await onboardTable({ ...services, config, telemetry: recordingTelemetry() }, t));
    expect(result.pipelineRegion).toBe('eu-west-1');
    const definition = await services.pipelines(SOURCE_A, 'eu-west-1').getDefinition(result.pipelineId);
    expect(definition.find((o) => o.id === 'EmrClusterForBackup')?.fields.region).toBe('eu-central-1');
    expect(result.outputLocation).toBe(`s3://corp-ddb-backups/${SOURCE_A}/eu-central-1/eu-orders/`);
  });
});
