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

/** The release of AWS's export template, on which emr-dynamodb-tools 4.11.0 (the step's jar) runs. */
const EMR_RELEASE_LABEL = 'emr-5.23.0';
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

/**
 * The clusters' instance type (master and core) when PIPELINE_INSTANCE_TYPE is not set. AWS's template says m3.xlarge, a
 * previous generation that many regions and accounts can no longer launch; m5.xlarge is current generation, offered in
 * every commercial region (and so in every region a cluster runs in: the table's), and runs on emr-5.23.0 — EMR runs
 * the fifth-generation families from release 5.13.0 on, when all its instances became HVM and EBS-backed (EMR
 * Management Guide, emr-supported-instance-types; mrjob, whose EMR default is m5.xlarge from AMI 5.13.0 on and
 * m4.large before).
 */
export const DEFAULT_PIPELINE_INSTANCE_TYPE = 'm5.xlarge';

/**
 * The x86 families emr-5.23.0 runs (4th and 5th generation, current generation all). Graviton (m6g …) needs EMR 5.30,
 * the 6th generation Intel / AMD families (m6i …) later releases still: neither runs the export tool's release.
 */
export const PIPELINE_INSTANCE_FAMILIES = [
  'm4',
  'm5',
  'm5a',
  'm5d',
  'c4',
  'c5',
  'c5d',
  'r4',
  'r5',
  'r5a',
  'r5d',
] as const;
const INSTANCE_TYPE = new RegExp(`^(${PIPELINE_INSTANCE_FAMILIES.join('|')})\\.(xlarge|[1-9]\\d?xlarge)$`);

/** Whether `type` is an instance type this export template's clusters can run on (xlarge or larger). */
export function isPipelineInstanceType(type: string): boolean {
  return INSTANCE_TYPE.test(type);
}

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
  /** The clusters' instance type; DEFAULT_PIPELINE_INSTANCE_TYPE when not given. */
  instanceType?: string;
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
function emrCluster(id: string, tableRegion: string, instanceType = DEFAULT_PIPELINE_INSTANCE_TYPE): PipelineObject {
  return {
    id,
    name: id,
    fields: {
      type: 'EmrCluster',
      releaseLabel: EMR_RELEASE_LABEL,
      masterInstanceType: instanceType,
      coreInstanceType: instanceType,
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
      // `true` would replace the cluster's instance types with m3.xlarge whenever a DynamoDBDataNode is the input or
      // output (DevGuide dp-object-emractivity, resizeClusterBeforeRunning): the instance type chosen above holds only
      // with `false`, as in AWS's own EmrCluster examples (emrcluster-example-private-subnet).
      resizeClusterBeforeRunning: 'false',
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
    emrCluster('EmrClusterForBackup', table.region, input.instanceType),
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
  /** The clusters' instance type; DEFAULT_PIPELINE_INSTANCE_TYPE when not given. */
  instanceType?: string;
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
    emrCluster('EmrClusterForLoad', target.region, input.instanceType),
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
