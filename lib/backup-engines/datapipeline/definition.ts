import type { PipelineObject as ApiPipelineObject } from '@aws-sdk/client-data-pipeline';
import { tableLogUri, tableOutputUri } from '../../domain/layout';
import type { TableRef } from '../../domain/table-ref';

/**
 * The AWS "Export DynamoDB table to S3" template (DevGuide dp-template-exportddbtos3), as code.
 * Values are written straight into the object fields instead of through the template's
 * #{myDDB…} parameters, so a definition read back with GetPipelineDefinition can be checked
 * (moto drops parameter objects). Runtime expressions (#{format(@scheduledStartTime…)},
 * #{output.directoryPath}, …) stay: Data Pipeline evaluates them at run time.
 */

export type FieldValue = string | { ref: string };

export interface PipelineObject {
  id: string;
  name: string;
  fields: Record<string, FieldValue | FieldValue[]>;
}

const EMR_RELEASE_LABEL = 'emr-5.23.0';
const EMR_INSTANCE_TYPE = 'm3.xlarge';
const EMR_TERMINATE_AFTER = '6 Hours';
const DDB_TOOLS_VERSION = '4.11.0';
const RUN_FOLDER_FORMAT = 'YYYY-MM-dd-HH-mm-ss';

/**
 * The roles the pipelines run as, by the names templates/source-account.yml gives them by default (PipelineRoleName,
 * PipelineResourceRoleName, RestoreResourceRoleName) — not Data Pipeline's default roles, whose managed policies allow
 * s3:* and dynamodb:* on everything. `role` runs the pipeline, is its clusters' EMR service role and publishes the
 * SnsAlarm; `resourceRole` is the export clusters' instance profile, `restoreResourceRole` the import clusters'.
 */
export interface PipelineRoles {
  role: string;
  resourceRole: string;
  restoreResourceRole: string;
}
export const DEFAULT_PIPELINE_ROLES: Readonly<PipelineRoles> = {
  role: 'ddb-backup-pipeline',
  resourceRole: 'ddb-backup-pipeline-resource',
  restoreResourceRole: 'ddb-backup-restore-resource',
};

export interface ExportDefinitionInput {
  table: TableRef;
  bucket: string;
  readThroughputRatio: number;
  /** First run, YYYY-MM-DDTHH:MM:SS UTC. */
  startDateTime: string;
  /** When set, every object inherits an onFail SnsAlarm publishing to this topic. */
  alarmTopicArn?: string;
  /** The roles the pipeline runs as; the source template's defaults when not given. */
  roles?: PipelineRoles;
}

export function exportStep(tableRegion: string): string {
  return [
    `s3://dynamodb-dpl-${tableRegion}/emr-ddb-storage-handler/${DDB_TOOLS_VERSION}/emr-dynamodb-tools-${DDB_TOOLS_VERSION}-SNAPSHOT-jar-with-dependencies.jar`,
    'org.apache.hadoop.dynamodb.tools.DynamoDBExport',
    // Cross-account write: the backup account must own what the EMR job writes.
    '-Dfs.s3.canned.acl=BucketOwnerFullControl',
    '#{output.directoryPath}',
    '#{input.tableName}',
    '#{input.readThroughputPercent}',
  ].join(',');
}

/** The EMR cluster both templates run on, in the table's region (Data Pipeline may run elsewhere). */
function emrCluster(id: string, tableRegion: string): PipelineObject {
  return {
    id,
    name: id,
    fields: {
      type: 'EmrCluster',
      releaseLabel: EMR_RELEASE_LABEL,
      masterInstanceType: EMR_INSTANCE_TYPE,
      coreInstanceType: EMR_INSTANCE_TYPE,
      coreInstanceCount: '1',
      region: tableRegion,
      terminateAfter: EMR_TERMINATE_AFTER,
    },
  };
}

/** The EmrActivity that runs emr-dynamodb-tools' `step` from `input` to `output` on `cluster`. */
function emrActivity(
  id: string,
  refs: { input: string; output: string; cluster: string },
  step: string,
): PipelineObject {
  return {
    id,
    name: id,
    fields: {
      type: 'EmrActivity',
      input: { ref: refs.input },
      output: { ref: refs.output },
      runsOn: { ref: refs.cluster },
      maximumRetries: '2',
      resizeClusterBeforeRunning: 'true',
      step,
    },
  };
}

/** With a topic: an SnsAlarm on `Default`'s onFail, so that every object inherits it. */
function withFailureAlarm(
  objects: PipelineObject[],
  topicArn: string | undefined,
  role: string,
  subject: string,
  message: string,
): PipelineObject[] {
  if (topicArn === undefined) return objects;
  const [defaults, ...rest] = objects as [PipelineObject, ...PipelineObject[]];
  return [
    { ...defaults, fields: { ...defaults.fields, onFail: { ref: 'FailureAlarm' } } },
    ...rest,
    {
      id: 'FailureAlarm',
      name: 'FailureAlarm',
      fields: { type: 'SnsAlarm', topicArn, role, subject: subject.slice(0, 100), message },
    },
  ];
}

export function buildExportDefinition(input: ExportDefinitionInput): PipelineObject[] {
  const { table, bucket } = input;
  const roles = input.roles ?? DEFAULT_PIPELINE_ROLES;
  const defaults: PipelineObject = {
    id: 'Default',
    name: 'Default',
    fields: {
      scheduleType: 'cron',
      failureAndRerunMode: 'CASCADE',
      role: roles.role,
      resourceRole: roles.resourceRole,
      pipelineLogUri: tableLogUri(bucket, table),
      schedule: { ref: 'DefaultSchedule' },
    },
  };
  const objects: PipelineObject[] = [
    defaults,
    {
      id: 'DefaultSchedule',
      name: 'Every day',
      fields: { type: 'Schedule', period: '1 days', startDateTime: input.startDateTime },
    },
    {
      id: 'DDBSourceTable',
      name: 'DDBSourceTable',
      fields: {
        type: 'DynamoDBDataNode',
        tableName: table.tableName,
        readThroughputPercent: String(input.readThroughputRatio),
      },
    },
    {
      id: 'S3BackupLocation',
      name: 'S3BackupLocation',
      fields: {
        type: 'S3DataNode',
        directoryPath: `${tableOutputUri(bucket, table)}#{format(@scheduledStartTime, '${RUN_FOLDER_FORMAT}')}`,
      },
    },
    emrCluster('EmrClusterForBackup', table.region),
    emrActivity(
      'TableBackupActivity',
      { input: 'DDBSourceTable', output: 'S3BackupLocation', cluster: 'EmrClusterForBackup' },
      exportStep(table.region),
    ),
  ];
  return withFailureAlarm(
    objects,
    input.alarmTopicArn,
    roles.role,
    `DynamoDB backup failed: ${table.tableName}`,
    `Nightly export of ${table.tableArn} failed. Scheduled start: #{node.@scheduledStartTime}. Error: #{node.errorMessage}`,
  );
}

export function toApiObjects(objects: readonly PipelineObject[]): ApiPipelineObject[] {
  return objects.map((o) => ({
    id: o.id,
    name: o.name,
    fields: Object.entries(o.fields).flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) =>
        typeof v === 'string' ? { key, stringValue: v } : { key, refValue: v.ref },
      ),
    ),
  }));
}

export function fromApiObjects(objects: readonly ApiPipelineObject[]): PipelineObject[] {
  return objects.map((o) => {
    const fields: Record<string, FieldValue | FieldValue[]> = {};
    for (const f of o.fields ?? []) {
      if (f.key === undefined) continue;
      const v: FieldValue = f.refValue !== undefined ? { ref: f.refValue } : (f.stringValue ?? '');
      const prev = fields[f.key];
      fields[f.key] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    return { id: o.id ?? '', name: o.name ?? '', fields };
  });
}

export interface ImportDefinitionInput {
  /** The table restored into (in the source account). */
  target: TableRef;
  /** s3://BUCKET/ACCOUNT/REGION/TABLE/SNAPSHOT/ — a run folder holding a manifest. */
  snapshotUri: string;
  /** Where the import's logs go (the source table's logs folder, layout.ts tableLogUri: ACCOUNT/logs/REGION/TABLE/). */
  logUri: string;
  writeThroughputRatio: number;
  alarmTopicArn?: string;
  /** The roles the pipeline runs as (its clusters as `restoreResourceRole`); the source template's defaults when not given. */
  roles?: PipelineRoles;
}

function importStep(tableRegion: string): string {
  return [
    `s3://dynamodb-dpl-${tableRegion}/emr-ddb-storage-handler/${DDB_TOOLS_VERSION}/emr-dynamodb-tools-${DDB_TOOLS_VERSION}-SNAPSHOT-jar-with-dependencies.jar`,
    'org.apache.hadoop.dynamodb.tools.DynamoDBImport',
    '#{input.directoryPath}',
    '#{output.tableName}',
    '#{output.writeThroughputPercent}',
  ].join(',');
}

/**
 * The AWS "Import DynamoDB backup data from S3" template, on demand, reading one snapshot. Like
 * the export, values are written into the fields rather than through #{my…} parameters.
 */
export function buildImportDefinition(input: ImportDefinitionInput): PipelineObject[] {
  const { target } = input;
  const roles = input.roles ?? DEFAULT_PIPELINE_ROLES;
  const defaults: PipelineObject = {
    id: 'Default',
    name: 'Default',
    fields: {
      scheduleType: 'ONDEMAND',
      failureAndRerunMode: 'CASCADE',
      role: roles.role,
      // The import's clusters may write only tables tagged as the product's (the source template's condition).
      resourceRole: roles.restoreResourceRole,
      pipelineLogUri: input.logUri,
    },
  };
  const objects: PipelineObject[] = [
    defaults,
    {
      id: 'S3InputDataNode',
      name: 'S3InputDataNode',
      fields: { type: 'S3DataNode', directoryPath: input.snapshotUri, precondition: { ref: 'S3PrefixNotEmpty' } },
    },
    {
      id: 'S3PrefixNotEmpty',
      name: 'S3PrefixNotEmpty',
      fields: { type: 'S3PrefixNotEmpty', s3Prefix: input.snapshotUri },
    },
    {
      id: 'DDBDestinationTable',
      name: 'DDBDestinationTable',
      fields: {
        type: 'DynamoDBDataNode',
        tableName: target.tableName,
        writeThroughputPercent: String(input.writeThroughputRatio),
      },
    },
    emrCluster('EmrClusterForLoad', target.region),
    emrActivity(
      'TableLoadActivity',
      { input: 'S3InputDataNode', output: 'DDBDestinationTable', cluster: 'EmrClusterForLoad' },
      importStep(target.region),
    ),
  ];
  return withFailureAlarm(
    objects,
    input.alarmTopicArn,
    roles.role,
    `DynamoDB restore failed: ${target.tableName}`,
    `Restore into ${target.tableArn} from ${input.snapshotUri} failed. Error: #{node.errorMessage}`,
  );
}
