import { engineFor, parseConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

const valid = {
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111, 222222222222',
  REGISTRY_TABLE: 'ddb-backup-registry',
};

describe('choosing the backup engine', () => {
  it('defaults to Data Pipeline everywhere, with the native settings the source template creates', () => {
    const c = parseConfig(valid);
    expect(c).toMatchObject({
      backupEngine: 'datapipeline',
      nativeExportAccounts: [],
      scheduleGroup: 'ddb-backup-orchestrator',
      exportSchedulerRole: 'ddb-backup-export-scheduler',
      exportDlqName: 'ddb-backup-export-dlq',
      exportWindowMinutes: 60,
    });
    expect(engineFor(c, '111111111111')).toBe('datapipeline');
  });

  it('uses the native export in the accounts NATIVE_EXPORT_ACCOUNTS lists and Data Pipeline in the others', () => {
    const c = parseConfig({ ...valid, NATIVE_EXPORT_ACCOUNTS: ' 222222222222 ,' });
    expect(c.nativeExportAccounts).toEqual(['222222222222']);
    expect(engineFor(c, '222222222222')).toBe('native');
    expect(engineFor(c, '111111111111')).toBe('datapipeline');
  });

  it('uses the native export everywhere with BACKUP_ENGINE=native', () => {
    const c = parseConfig({ ...valid, BACKUP_ENGINE: 'native' });
    expect(engineFor(c, '111111111111')).toBe('native');
  });

  it('reads the native settings', () => {
    expect(
      parseConfig({
        ...valid,
        SCHEDULE_GROUP: 'backups.nightly',
        EXPORT_SCHEDULER_ROLE: 'exporter',
        EXPORT_DLQ_NAME: 'export-failures',
        EXPORT_WINDOW_MINUTES: '0',
      }),
    ).toMatchObject({
      scheduleGroup: 'backups.nightly',
      exportSchedulerRole: 'exporter',
      exportDlqName: 'export-failures',
      exportWindowMinutes: 0,
    });
  });

  it.each([
    [{ BACKUP_ENGINE: 'emr' }, 'BACKUP_ENGINE must be one of datapipeline, native, got "emr"'],
    [{ NATIVE_EXPORT_ACCOUNTS: '1234' }, 'NATIVE_EXPORT_ACCOUNTS holds values that are not 12-digit account ids: 1234'],
    [
      { NATIVE_EXPORT_ACCOUNTS: '333333333333' },
      'NATIVE_EXPORT_ACCOUNTS lists accounts not in SOURCE_ACCOUNTS: 333333333333',
    ],
    [{ SCHEDULE_GROUP: 'my group' }, 'SCHEDULE_GROUP must be an EventBridge Scheduler group name'],
    [{ EXPORT_SCHEDULER_ROLE: 'arn:aws:iam::1:role/x' }, 'EXPORT_SCHEDULER_ROLE must be an IAM role name'],
    [{ EXPORT_DLQ_NAME: 'https://sqs/q' }, 'EXPORT_DLQ_NAME must be an SQS standard queue name'],
    [{ EXPORT_WINDOW_MINUTES: '1441' }, 'EXPORT_WINDOW_MINUTES must be a whole number of minutes from 0'],
  ])('refuses %j with an error naming the variable', (env, message) => {
    const parse = () => parseConfig({ ...valid, ...env });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });
});
