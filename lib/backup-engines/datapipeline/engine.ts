import { newestCompleteRuns } from '../../domain/freshness';
import { tableLogUri } from '../../domain/layout';
import { nextRunStart } from '../../domain/schedule';
import { snapshotsFrom } from '../../domain/snapshots';
import { TAG_TABLE_ARN } from '../../domain/tags';
import { errorFields } from '../../observability';
import type {
  BackupEngine,
  BackupEngineName,
  BackupHealth,
  PreparedBackup,
  PreparedRestore,
  RestoreFound,
} from '../../ports/backup-engine';
import type { PipelineCalls, PipelineStatus } from './api';
import { buildExportDefinition, buildImportDefinition } from './definition';
import { classifyPipeline } from './health';
import { pipelineTags, restorePipelineName, restoreUniqueId, tableArnTag } from './naming';
import { assertValidDefinition, provisionExportPipeline } from './provision';
import { noPipelineRegion, pipelineRegionFor, requirePipelineRegion } from './regions';
import { EXPORT_S3_ACCESS } from './s3-access';

/** The engine's name: what a configuration chooses it by. */
const DATA_PIPELINE: BackupEngineName = 'datapipeline';

/** Data Pipeline's answers when a pipeline is already gone. */
const GONE = new Set(['PipelineNotFoundException', 'PipelineDeletedException']);

/**
 * Pipeline states in which a pipeline does no work: never activated, deactivated, or done
 * (DevGuide dp-interpret-status: "A pipeline is considered inactive if its status is PENDING,
 * INACTIVE, or FINISHED"). SCHEDULED means ready, working or finished: it cannot tell a running
 * import from one that is over.
 */
const INACTIVE = new Set(['PENDING', 'INACTIVE', 'FINISHED']);

/**
 * The first engine: one Data Pipeline per table, in the source account, running the AWS
 * "Export DynamoDB table to S3" template every night on an EMR cluster; restores run the
 * "Import DynamoDB backup data from S3" template once.
 */
export function dataPipelineEngine(pipelines: (accountId: string, region: string) => PipelineCalls): BackupEngine {
  return {
    name: DATA_PIPELINE,
    writerAccess: EXPORT_S3_ACCESS,

    placement(tableRegion, settings) {
      const region = pipelineRegionFor(tableRegion, settings.pipelineRegion);
      return region === undefined ? { unsupported: noPipelineRegion(tableRegion) } : { region };
    },

    prepare(table, settings, now): PreparedBackup {
      const region = requirePipelineRegion(table.region, settings.pipelineRegion);
      const definition = buildExportDefinition({
        table,
        bucket: settings.backupBucket,
        readThroughputRatio: settings.readThroughputRatio,
        startDateTime: nextRunStart(now, settings.backupTimeUtc),
        alarmTopicArn: settings.alarmTopicArn,
        roles: settings.pipelineRoles,
        instanceType: settings.pipelineInstanceType,
      });
      assertValidDefinition(definition);
      const api = () => pipelines(table.accountId, region);
      return {
        region,
        warm: () => api().warm(),
        async ensure(claim, log) {
          const result = await provisionExportPipeline({
            table,
            claim,
            pipelineRegion: region,
            definition,
            api: api(),
          });
          if (result.warnings.length > 0) log.warn('Data Pipeline reported warnings', { warnings: result.warnings });
          return { resourceId: result.pipelineId, created: result.created };
        },
      };
    },

    async remove(record, log) {
      const api = pipelines(record.accountId, record.pipelineRegion ?? record.region);
      const pipelineId = record.pipelineId;
      let deactivation: 'done' | 'failed' = 'done';
      try {
        await api.deactivate(pipelineId);
      } catch (e) {
        // Deletion stops the pipeline anyway; deactivation first only lets a running export be cancelled cleanly.
        if (!GONE.has((e as Error).name)) {
          deactivation = 'failed';
          log.warn('DeactivatePipeline failed; deleting the pipeline anyway', { pipelineId, ...errorFields(e) });
        }
      }
      try {
        await api.delete(pipelineId);
      } catch (e) {
        if (!GONE.has((e as Error).name)) throw e;
      }
      return { deactivation };
    },

    async health(accountId, region, records) {
      const api = pipelines(accountId, region);
      const existing = new Set(await api.listIds());
      const present = records.map((r) => r.pipelineId as string).filter((id) => existing.has(id));
      const statuses = new Map((await api.describe(present)).map((s) => [s.pipelineId, s]));
      return records.map((r) => healthOf(statuses.get(r.pipelineId as string)));
    },

    async inventory(accountId, region) {
      const api = pipelines(accountId, region);
      const statuses = await api.describe(await api.listIds());
      const arns = new Set(statuses.map((s) => s.tags[TAG_TABLE_ARN]).filter((a) => a !== undefined));
      return { count: statuses.length, covers: (tableArn) => arns.has(tableArnTag(tableArn)) };
    },

    snapshots: async ({ bucket, table, keys }) => snapshotsFrom(bucket, table, await keys()),

    async newestBackups({ accountId, region, records, objects }) {
      if (records.length === 0) return [];
      const newest = newestCompleteRuns(
        accountId,
        region,
        records.map((r) => r.tableName),
        await objects(),
      );
      return records.map((r) => newest.get(r.tableName));
    },

    prepareRestore({ source, target, snapshot }, settings): PreparedRestore {
      const region = requirePipelineRegion(target.region, settings.pipelineRegion);
      const definition = buildImportDefinition({
        target,
        snapshotUri: snapshot.location,
        logUri: tableLogUri(settings.backupBucket, source),
        writeThroughputRatio: settings.readThroughputRatio,
        alarmTopicArn: settings.alarmTopicArn,
        roles: settings.pipelineRoles,
        instanceType: settings.pipelineInstanceType,
      });
      assertValidDefinition(definition);
      const api = () => pipelines(target.accountId, region);
      const name = restorePipelineName(target);
      const uniqueId = restoreUniqueId(target, snapshot.location);
      return {
        region,
        // The pipelines an earlier restore into this target made carry its name (ListPipelines
        // gives names, so only those are described) and its table-ARN tag.
        async find(): Promise<RestoreFound> {
          const named = (await api().list()).filter((p) => p.name === name).map((p) => p.id);
          if (named.length === 0) return { kind: 'none' };
          const described = (await api().describe(named)).filter(
            (p) => p.tags[TAG_TABLE_ARN] === tableArnTag(target.tableArn),
          );
          const same = described.find((p) => p.uniqueId === uniqueId);
          if (same !== undefined)
            return same.state === 'PENDING'
              ? { kind: 'unfinished', resourceId: same.pipelineId }
              : { kind: 'started', resourceId: same.pipelineId };
          const other = described.find((p) => p.state !== undefined && !INACTIVE.has(p.state));
          return other === undefined ? { kind: 'none' } : { kind: 'other', description: describeOther(other) };
        },
        async start(resume) {
          const calls = api();
          const pipelineId =
            resume ??
            (await calls.create({
              name,
              uniqueId,
              description: `Restore of ${snapshot.location} into ${target.tableArn}`,
              tags: pipelineTags(target),
            }));
          await calls.putDefinition(pipelineId, definition);
          await calls.activate(pipelineId);
          return pipelineId;
        },
        // An on-demand import pipeline is FINISHED once its run is over; ERROR health means the run failed.
        async state(pipelineId) {
          const [p] = await api().describe([pipelineId]);
          if (p === undefined) return undefined;
          if (p.health === 'ERROR') return 'FAILED';
          return p.state === 'FINISHED' ? 'COMPLETED' : 'IN_PROGRESS';
        },
      };
    },
  };
}

function healthOf(s: PipelineStatus | undefined): BackupHealth {
  return {
    status: classifyPipeline(s) ?? 'ok',
    state: s?.state,
    health: s?.health,
    latestRunTime: s?.latestRunTime,
    nextRunTime: s?.nextRunTime,
  };
}

function describeOther(p: PipelineStatus): string {
  const from = /^Restore of (\S+) into /.exec(p.description ?? '')?.[1];
  return `${from === undefined ? '' : `from ${from} `}by pipeline ${p.pipelineId} (${p.state}); delete that pipeline once its import has finished to restore into the table again`;
}
