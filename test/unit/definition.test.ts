import {
  buildExportDefinition,
  exportStep,
  fromApiObjects,
  type PipelineObject,
  toApiObjects,
} from '../../lib/backup-engines/datapipeline/definition';
import { pipelineRegionFor } from '../../lib/backup-engines/datapipeline/regions';
import { validateDefinition } from '../../lib/backup-engines/datapipeline/validate';
import { nextRunStart } from '../../lib/domain/schedule';

const table = {
  accountId: '111111111111',
  region: 'eu-central-1',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:eu-central-1:111111111111:table/orders',
};
const build = (extra: Partial<Parameters<typeof buildExportDefinition>[0]> = {}) =>
  buildExportDefinition({
    table,
    bucket: 'corp-ddb-backups',
    readThroughputRatio: 0.25,
    startDateTime: '2026-11-27T03:00:00',
    ...extra,
  });
const byId = (objects: PipelineObject[], id: string) => objects.find((o) => o.id === id)!;

describe('buildExportDefinition', () => {
  it('follows the AWS export template with values written into the fields', () => {
    const d = build();
    expect(d.map((o) => o.id)).toEqual([
      'Default',
      'DefaultSchedule',
      'DDBSourceTable',
      'S3BackupLocation',
      'EmrClusterForBackup',
      'TableBackupActivity',
    ]);
    expect(byId(d, 'Default').fields).toEqual({
      scheduleType: 'cron',
      failureAndRerunMode: 'CASCADE',
      role: 'ddb-backup-pipeline',
      resourceRole: 'ddb-backup-pipeline-resource',
      pipelineLogUri: 's3://corp-ddb-backups/111111111111/logs/eu-central-1/orders/',
      schedule: { ref: 'DefaultSchedule' },
    });
    expect(byId(d, 'DefaultSchedule').fields).toEqual({
      type: 'Schedule',
      period: '1 days',
      startDateTime: '2026-11-27T03:00:00',
    });
    expect(byId(d, 'DDBSourceTable').fields).toEqual({
      type: 'DynamoDBDataNode',
      tableName: 'orders',
      readThroughputPercent: '0.25',
    });
    expect(byId(d, 'S3BackupLocation').fields.directoryPath).toBe(
      "s3://corp-ddb-backups/111111111111/eu-central-1/orders/#{format(@scheduledStartTime, 'YYYY-MM-dd-HH-mm-ss')}",
    );
    expect(byId(d, 'EmrClusterForBackup').fields).toMatchObject({
      type: 'EmrCluster',
      region: 'eu-central-1',
      releaseLabel: 'emr-5.23.0',
      coreInstanceCount: '1',
    });
    expect(byId(d, 'TableBackupActivity').fields).toMatchObject({
      type: 'EmrActivity',
      input: { ref: 'DDBSourceTable' },
      output: { ref: 'S3BackupLocation' },
      runsOn: { ref: 'EmrClusterForBackup' },
      maximumRetries: '2',
      resizeClusterBeforeRunning: 'false',
    });
    expect(JSON.stringify(d)).not.toContain('#{my');
  });

  it('writes the logs beside the regions, never below a table: a table named logs keeps its data apart from them', () => {
    const logs = build({
      table: { ...table, tableName: 'logs', tableArn: 'arn:aws:dynamodb:eu-central-1:111111111111:table/logs' },
    });
    expect(byId(logs, 'Default').fields.pipelineLogUri).toBe(
      's3://corp-ddb-backups/111111111111/logs/eu-central-1/logs/',
    );
    expect(byId(logs, 'S3BackupLocation').fields.directoryPath).toMatch(
      /^s3:\/\/corp-ddb-backups\/111111111111\/eu-central-1\/logs\/#\{format/,
    );
  });

  it('puts the BucketOwnerFullControl canned ACL before the output path in the step', () => {
    expect(exportStep('eu-central-1').split(',')).toEqual([
      's3://dynamodb-dpl-eu-central-1/emr-ddb-storage-handler/4.11.0/emr-dynamodb-tools-4.11.0-SNAPSHOT-jar-with-dependencies.jar',
      'org.apache.hadoop.dynamodb.tools.DynamoDBExport',
      '-Dfs.s3.canned.acl=BucketOwnerFullControl',
      '#{output.directoryPath}',
      '#{input.tableName}',
      '#{input.readThroughputPercent}',
    ]);
  });

  it('adds an onFail SnsAlarm on Default when an alarm topic is configured', () => {
    const d = build({ alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:backup-alarms' });
    expect(byId(d, 'Default').fields.onFail).toEqual({ ref: 'FailureAlarm' });
    expect(byId(d, 'FailureAlarm').fields).toMatchObject({
      type: 'SnsAlarm',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:backup-alarms',
      role: 'ddb-backup-pipeline',
    });
    expect(validateDefinition(d)).toEqual([]);
  });

  it('round-trips through the API object shape', () => {
    const d = build();
    expect(fromApiObjects(toApiObjects(d))).toEqual(d);
    expect(toApiObjects(d)[0]!.fields).toContainEqual({ key: 'schedule', refValue: 'DefaultSchedule' });
  });
});

describe('validateDefinition', () => {
  it('accepts the export definition', () => {
    expect(validateDefinition(build())).toEqual([]);
  });

  const cases: Array<[string, (d: PipelineObject[]) => PipelineObject[], RegExp]> = [
    ['duplicate ids', (d) => [...d, { ...d[2]! }], /"DDBSourceTable" is used more than once/],
    [
      'a dangling reference',
      (d) => {
        byId(d, 'TableBackupActivity').fields.runsOn = { ref: 'Nope' };
        return d;
      },
      /refers to "Nope", which is not defined/,
    ],
    [
      'a reference to the wrong type',
      (d) => {
        byId(d, 'Default').fields.schedule = { ref: 'DDBSourceTable' };
        return d;
      },
      /must refer to a Schedule/,
    ],
    [
      'a reference written as a string',
      (d) => {
        byId(d, 'Default').fields.schedule = 'DefaultSchedule';
        return d;
      },
      /must be a reference, not a string/,
    ],
    [
      'a missing required field',
      (d) => {
        delete byId(d, 'DDBSourceTable').fields.tableName;
        return d;
      },
      /"DDBSourceTable" \(DynamoDBDataNode\) is missing field "tableName"/,
    ],
    [
      'a missing one-of field',
      (d) => {
        delete byId(d, 'S3BackupLocation').fields.directoryPath;
        return d;
      },
      /missing one of "directoryPath", "filePath", "manifestFilePath"/,
    ],
    [
      'an object with no type',
      (d) => {
        delete byId(d, 'EmrClusterForBackup').fields.type;
        return d;
      },
      /"EmrClusterForBackup" has no type/,
    ],
    [
      'an unknown type',
      (d) => {
        byId(d, 'EmrClusterForBackup').fields.type = 'Ec2Thing';
        return d;
      },
      /unknown type "Ec2Thing"/,
    ],
    ['no Default object', (d) => d.filter((o) => o.id !== 'Default'), /no "Default" object/],
    [
      'more than 100 objects',
      (d) => [
        ...d,
        ...Array.from({ length: 95 }, (_, i) => ({ id: `x${i}`, name: `x${i}`, fields: { type: 'EmrCluster' } })),
      ],
      /101 objects; the limit is 100/,
    ],
    [
      'more than 50 fields in an object',
      (d) => {
        Object.assign(
          byId(d, 'EmrClusterForBackup').fields,
          Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`f${i}`, 'v'])),
        );
        return d;
      },
      /has 52 fields; the limit is 50/,
    ],
    [
      'a field over 10,240 bytes',
      (d) => {
        byId(d, 'TableBackupActivity').fields.step = 'é'.repeat(5121);
        return d;
      },
      /"step" is 10242 bytes; the limit is 10240/,
    ],
    [
      'a period under 15 minutes',
      (d) => {
        byId(d, 'DefaultSchedule').fields.period = '5 minutes';
        return d;
      },
      /shorter than 15 minutes/,
    ],
    [
      'a malformed start time',
      (d) => {
        byId(d, 'DefaultSchedule').fields.startDateTime = '2026-11-27 03:00';
        return d;
      },
      /is not YYYY-MM-DDTHH:MM:SS/,
    ],
  ];
  it.each(cases)('reports %s', (_name, mutate, message) => {
    const problems = validateDefinition(mutate(build()));
    expect(problems.join('\n')).toMatch(message);
  });
});

describe('nextRunStart', () => {
  it('is later the same day when the time has not passed yet', () => {
    expect(nextRunStart(new Date('2026-11-26T01:59:59Z'), { hour: 3, minute: 0 })).toBe('2026-11-26T03:00:00');
  });
  it('is the next day when the time has passed or is now', () => {
    expect(nextRunStart(new Date('2026-11-26T03:00:00Z'), { hour: 3, minute: 0 })).toBe('2026-11-27T03:00:00');
    expect(nextRunStart(new Date('2026-12-31T23:30:00Z'), { hour: 23, minute: 15 })).toBe('2027-01-01T23:15:00');
  });
});

describe('pipelineRegionFor', () => {
  it('keeps a region with a Data Pipeline endpoint and falls back otherwise', () => {
    expect(pipelineRegionFor('eu-west-1', 'us-east-1')).toBe('eu-west-1');
    expect(pipelineRegionFor('eu-central-1', 'eu-west-1')).toBe('eu-west-1');
    expect(pipelineRegionFor('eu-central-1', undefined)).toBeUndefined();
  });
});
