import {
  buildExportDefinition,
  buildImportDefinition,
  type PipelineObject,
} from '../../lib/backup-engines/datapipeline/definition';
import { parseConfig } from '../../lib/config';

const table = {
  accountId: '111111111111',
  region: 'us-east-1',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders',
};
const topic = 'arn:aws:sns:us-east-1:123456789012:ddb-backup-orchestrator-prod-alarms';
const fields = (objects: PipelineObject[], id: string) => objects.find((o) => o.id === id)?.fields;
const exportOf = (roles?: Parameters<typeof buildExportDefinition>[0]['roles']) =>
  buildExportDefinition({
    table,
    bucket: 'corp-ddb-backups',
    readThroughputRatio: 0.25,
    startDateTime: '2026-11-28T03:00:00',
    alarmTopicArn: topic,
    roles,
  });
const importOf = (roles?: Parameters<typeof buildImportDefinition>[0]['roles']) =>
  buildImportDefinition({
    target: { ...table, tableName: 'orders-restored' },
    snapshotUri: 's3://corp-ddb-backups/111111111111/us-east-1/orders/2026-11-26-03-00-00/',
    logUri: 's3://corp-ddb-backups/111111111111/us-east-1/orders/logs/',
    writeThroughputRatio: 0.25,
    alarmTopicArn: topic,
    roles,
  });

describe('the roles a pipeline runs as', () => {
  it('are the source template’s roles by default: the export’s clusters as ddb-backup-pipeline-resource, never the Data Pipeline default roles', () => {
    expect(fields(exportOf(), 'Default')).toMatchObject({
      role: 'ddb-backup-pipeline',
      resourceRole: 'ddb-backup-pipeline-resource',
    });
    expect(fields(exportOf(), 'FailureAlarm')).toMatchObject({ type: 'SnsAlarm', role: 'ddb-backup-pipeline' });
    expect(JSON.stringify([exportOf(), importOf()])).not.toContain('DataPipelineDefault');
  });

  it('run a restore’s clusters as ddb-backup-restore-resource, the one role that may write into tables tagged as the product’s', () => {
    expect(fields(importOf(), 'Default')).toMatchObject({
      role: 'ddb-backup-pipeline',
      resourceRole: 'ddb-backup-restore-resource',
    });
    expect(fields(importOf(), 'FailureAlarm')).toMatchObject({ role: 'ddb-backup-pipeline' });
  });

  it('follow PIPELINE_ROLE, PIPELINE_RESOURCE_ROLE and RESTORE_RESOURCE_ROLE when the source template was given other names', () => {
    const { pipelineRoles } = parseConfig({
      BACKUP_BUCKET: 'corp-ddb-backups',
      BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
      SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
      SOURCE_ACCOUNTS: '111111111111',
      REGISTRY_TABLE: 'ddb-backup-registry',
      PIPELINE_ROLE: 'corp-pipeline',
      PIPELINE_RESOURCE_ROLE: 'corp-export',
      RESTORE_RESOURCE_ROLE: 'corp-import',
    });
    expect(fields(exportOf(pipelineRoles), 'Default')).toMatchObject({
      role: 'corp-pipeline',
      resourceRole: 'corp-export',
    });
    expect(fields(importOf(pipelineRoles), 'Default')).toMatchObject({
      role: 'corp-pipeline',
      resourceRole: 'corp-import',
    });
    expect(fields(importOf(pipelineRoles), 'FailureAlarm')).toMatchObject({ role: 'corp-pipeline' });
  });

  it('refuses a role given as an ARN', () => {
    expect(() =>
      parseConfig({
        BACKUP_BUCKET: 'corp-ddb-backups',
        BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/w',
        SOURCE_ROLE_NAME: 'r',
        SOURCE_ACCOUNTS: '111111111111',
        REGISTRY_TABLE: 'reg',
        PIPELINE_ROLE: 'arn:aws:iam::1:role/x',
      }),
    ).toThrow(/PIPELINE_ROLE must be an IAM role name/);
  });
});
