import { buildImportDefinition } from '../../lib/backup-engines/datapipeline/definition';
import { validateDefinition } from '../../lib/backup-engines/datapipeline/validate';
import { snapshotsFrom, snapshotTime } from '../../lib/domain/snapshots';

const table = { accountId: '111111111111', region: 'us-east-1', tableName: 'orders' };
const p = '111111111111/us-east-1/orders/';

describe('snapshotsFrom', () => {
  it('keeps run folders that hold a manifest, newest first, and ignores logs, markers and other tables', () => {
    const listing = snapshotsFrom('b', table, [
      `${p}2026-11-24-03-00-00/manifest`,
      `${p}2026-11-24-03-00-00/part_000000`,
      `${p}2026-11-24-03-00-00_$folder$`,
      `${p}2026-11-26-03-00-00/part_000000`,
      `${p}2026-11-25-03-00-00/manifest`,
      `${p}logs/df-1/attempt.log`,
      `${p}2026-11-25-03-00-00/nested/manifest`,
      '111111111111/us-east-1/orders-v2/2026-11-27-03-00-00/manifest',
    ]);
    expect(listing.snapshots.map((s) => [s.snapshot, s.objects])).toEqual([
      ['2026-11-25-03-00-00', 2],
      ['2026-11-24-03-00-00', 2],
    ]);
    expect(listing.incomplete).toEqual(['2026-11-26-03-00-00']);
    expect(listing.snapshots[0]?.location).toBe(`s3://b/${p}2026-11-25-03-00-00/`);
  });

  it('reads the run time from the folder name', () => {
    expect(snapshotTime('2026-11-26-03-00-00')).toBe('2026-11-26T03:00:00Z');
  });
});

describe('buildImportDefinition', () => {
  it('is a valid on-demand import of one snapshot, values in the fields', () => {
    const d = buildImportDefinition({
      target: {
        ...table,
        tableName: 'orders-restored',
        tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders-restored',
      },
      snapshotUri: `s3://b/${p}2026-11-25-03-00-00/`,
      logUri: `s3://b/${p}logs/`,
      writeThroughputRatio: 0.25,
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
    });
    expect(validateDefinition(d)).toEqual([]);
    expect(JSON.stringify(d)).not.toContain('#{my');
    expect(d.find((o) => o.id === 'Default')?.fields).toMatchObject({
      scheduleType: 'ONDEMAND',
      onFail: { ref: 'FailureAlarm' },
    });
  });
});
