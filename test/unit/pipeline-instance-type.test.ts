import {
  buildExportDefinition,
  buildImportDefinition,
  DEFAULT_PIPELINE_INSTANCE_TYPE,
  isPipelineInstanceType,
  type PipelineObject,
} from '../../lib/backup-engines/datapipeline/definition';
import { parseConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const table = {
  accountId: '111111111111',
  region: 'eu-central-1',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:eu-central-1:111111111111:table/orders',
};
const valid = {
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111',
  REGISTRY_TABLE: 'ddb-backup-registry',
};
const clusterOf = (objects: PipelineObject[]) => objects.find((o) => o.fields.type === 'EmrCluster')?.fields;
const activityOf = (objects: PipelineObject[]) => objects.find((o) => o.fields.type === 'EmrActivity')?.fields;
const exportWith = (instanceType?: string) =>
  buildExportDefinition({
    table,
    bucket: 'corp-ddb-backups',
    readThroughputRatio: 0.25,
    startDateTime: '2026-11-27T03:00:00',
    instanceType,
  });

describe('the Data Pipeline engine’s cluster instance type', () => {
  it('defaults to m5.xlarge, a current generation that runs on the export template’s emr-5.23.0', () => {
    expect(DEFAULT_PIPELINE_INSTANCE_TYPE).toBe('m5.xlarge');
    expect(clusterOf(exportWith())).toMatchObject({
      releaseLabel: 'emr-5.23.0',
      masterInstanceType: 'm5.xlarge',
      coreInstanceType: 'm5.xlarge',
      coreInstanceCount: '1',
    });
    expect(JSON.stringify(exportWith())).not.toContain('m3.');
  });

  it('puts the configured type on master and core, in the export and in the restore', () => {
    expect(clusterOf(exportWith('c5.2xlarge'))).toMatchObject({
      masterInstanceType: 'c5.2xlarge',
      coreInstanceType: 'c5.2xlarge',
    });
    const restore = buildImportDefinition({
      target: { ...table, tableName: 'orders-restored', tableArn: `${table.tableArn}-restored` },
      snapshotUri: 's3://corp-ddb-backups/111111111111/eu-central-1/orders/2026-11-26-03-00-00/',
      logUri: 's3://corp-ddb-backups/111111111111/logs/eu-central-1/orders/',
      writeThroughputRatio: 0.25,
      instanceType: 'r5.xlarge',
    });
    expect(clusterOf(restore)).toMatchObject({ masterInstanceType: 'r5.xlarge', coreInstanceType: 'r5.xlarge' });
  });

  it('does not let Data Pipeline resize the cluster, which would put m3.xlarge back in place of the chosen type', () => {
    expect(activityOf(exportWith())?.resizeClusterBeforeRunning).toBe('false');
  });

  it.each([
    ['m5.xlarge', true],
    ['m5.4xlarge', true],
    ['m4.xlarge', true],
    ['c5.2xlarge', true],
    ['r5d.12xlarge', true],
    ['m3.xlarge', false],
    ['m5.large', false],
    ['m6g.xlarge', false],
    ['m6i.xlarge', false],
    ['M5.XLARGE', false],
    ['m5.xlarge ', false],
  ] as const)('accepts %s as a cluster instance type: %s', (type, ok) => {
    expect(isPipelineInstanceType(type)).toBe(ok);
  });

  it('is read from PIPELINE_INSTANCE_TYPE, m5.xlarge when unset or empty', () => {
    expect(parseConfig(valid).pipelineInstanceType).toBe('m5.xlarge');
    expect(parseConfig({ ...valid, PIPELINE_INSTANCE_TYPE: '' }).pipelineInstanceType).toBe('m5.xlarge');
    expect(parseConfig({ ...valid, PIPELINE_INSTANCE_TYPE: 'c5.xlarge' }).pipelineInstanceType).toBe('c5.xlarge');
  });

  it.each(['m3.xlarge', 'm6g.xlarge', 't3.micro', 'xlarge'])(
    'refuses PIPELINE_INSTANCE_TYPE=%s with an error naming the variable, the EMR release and the families it runs',
    (type) => {
      expect(() => parseConfig({ ...valid, PIPELINE_INSTANCE_TYPE: type })).toThrow(ConfigError);
      expect(() => parseConfig({ ...valid, PIPELINE_INSTANCE_TYPE: type })).toThrow(
        new RegExp(`PIPELINE_INSTANCE_TYPE must be .*emr-5\\.23\\.0.*m4, m5.*, got "${type.replace('.', '\\.')}"`),
      );
    },
  );
});
