import { DescribeImportCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../lib/config';
import { sourceRoleArn } from '../lib/config';
import { tablePrefix } from '../lib/domain/layout';
import type { PolicyDocument } from '../lib/domain/policy';
import type { Services } from '../lib/wiring';
import { compareTables, itemsOfEveryType, writeItems } from '../test/support/items';
import { until } from '../test/support/poll';
import { fireSchedule } from '../test/support/scheduler';
import { lambdaContext } from './lambda-context';
import { provisionScheduleGroups, readBackupObjects, withTlsDenyLifted } from './sandbox';

/**
 * `npm start -- --engine native` after the common provisioning: the native engine's data round trip
 * through the real handlers, printed step by step. Resolves the exit code: 0 when the restored table
 * holds exactly the source's items, 1 otherwise.
 */
export interface NativeDemo {
  endpoint: string;
  config: Config;
  services: Services;
  /** events/create-table.json. */
  event: unknown;
  table: { accountId: string; region: string; tableName: string };
  /** The backup bucket through the policy-writer role. */
  s3: S3Client;
}

/** How long the demo waits for the export and the import, asking every 100 ms. */
const DEMO_WAIT = { timeoutMs: 30_000, intervalMs: 100 };

const show = (label: string, value: string) => console.log(`${label.padEnd(17)}${value}`);

/** The last time the schedule was due (BACKUP_TIME_UTC today, else yesterday): the invocation the demo plays. */
function lastScheduledTime(time: Config['backupTimeUtc'], now = new Date()): Date {
  const t = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), time.hour, time.minute));
  if (t.getTime() > now.getTime()) t.setUTCDate(t.getUTCDate() - 1);
  return t;
}

export async function nativeDemo({ endpoint, config, services, event, table, s3 }: NativeDemo): Promise<number> {
  const groups = await provisionScheduleGroups(config, [table]);
  for (const g of groups.created) console.log(`provisioned: ${g} (as the source template makes it)`);

  // An application of the source account writes the items; the demo reads both tables through the restore role.
  const source = new DynamoDBClient({
    region: table.region,
    credentials: services.roles.provider(sourceRoleArn(config, table.accountId, 'restore')),
  });
  const items = itemsOfEveryType();
  await writeItems(source, table.tableName, items);
  console.log('');
  show(
    'items written',
    `${items.length} items into ${table.tableName}: S, N (38 digits, limits), B (every byte), BOOL, NULL, L, M (nested), SS, NS, BS, empty values`,
  );

  const { handler: onboard } = await import('../functions/onboard');
  const onboarded = await onboard(event, lambdaContext('onboard'));
  if (onboarded.outcome === 'ignored') {
    console.log(`event ignored: ${onboarded.message}`);
    return 1;
  }
  const api = services.natives(table.accountId, table.region);
  const found = await api.getSchedule(config.scheduleGroup, onboarded.pipelineId);
  if (found === undefined)
    throw new Error(`no schedule ${config.scheduleGroup}/${onboarded.pipelineId} after onboarding`);
  const { schedule } = found;
  show('onboard', `${onboarded.outcome}: ${onboarded.table.tableArn}`);
  show('PITR', (await api.pitrEnabled(table.tableName)) ? 'ENABLED (turned on by onboarding)' : 'DISABLED');
  show('schedule', found.arn);
  show(
    '  when',
    `${schedule.expression} ${schedule.timezone}, ${schedule.window.Mode === 'FLEXIBLE' ? `flexible window ${schedule.window.MaximumWindowInMinutes} min` : 'no window'}, ${schedule.state}`,
  );
  show('  target', `${schedule.target.Arn}`);
  show('  as role', schedule.target.RoleArn);
  show('  input', JSON.stringify(schedule.target.Input));
  const policy = JSON.parse(
    (await s3.send(new GetBucketPolicyCommand({ Bucket: config.backupBucket }))).Policy ?? '{}',
  ) as PolicyDocument;
  const granted = policy.Statement.filter(
    (st) => st.Effect === 'Allow' && JSON.stringify(st.Principal).includes(table.accountId),
  );
  show('bucket policy', `${onboarded.grant.policyWritten ? 'updated' : 'unchanged'}; ${table.accountId} may:`);
  for (const st of granted)
    show(
      '',
      `${[st.Action].flat().join(', ')} on ${[st.Resource].flat().join(', ')}${st.Condition ? ' (restore and drill roles only)' : ''}`,
    );

  // Scheduler's invocation of that schedule, played by the emulator's helper: the schedule's role, its Input.
  const night = lastScheduledTime(config.backupTimeUtc);
  const started = (await fireSchedule({
    endpoint,
    accountId: table.accountId,
    region: table.region,
    groupName: config.scheduleGroup,
    scheduleName: schedule.name,
    scheduledTime: night,
  })) as { ExportDescription?: { ExportArn?: string } };
  const exportArn = started.ExportDescription?.ExportArn ?? '';
  console.log('');
  show(
    'fired',
    `as Scheduler would for ${night.toISOString()}: ExportTableToPointInTime as ${schedule.target.RoleArn}`,
  );
  const done = await until(
    `export ${exportArn}`,
    () => api.describeExport(exportArn),
    (e) => e.status !== 'IN_PROGRESS',
    DEMO_WAIT,
  );
  const exportId = exportArn.slice(exportArn.lastIndexOf('/') + 1);
  show('export', `${exportId} ${done.status}${done.failure ? `: ${done.failure}` : ''}`);
  if (done.status !== 'COMPLETED') return 1;
  const base = `${tablePrefix(table)}AWSDynamoDB/${exportId}/`;
  const keys = await services.snapshots.listKeys(base);
  show('  files', `s3://${config.backupBucket}/${base}`);
  for (const k of keys) show('', k.slice(base.length));
  const read = await readBackupObjects(config, [`${base}manifest-summary.json`]);
  const summary = JSON.parse(read.bodies[0] ?? '{}') as { itemCount?: number; billedSizeBytes?: number };
  show(
    '  manifest',
    `manifest-summary.json: itemCount ${summary.itemCount}, billedSizeBytes ${summary.billedSizeBytes}${read.policyLifted ? ' (read with the TLS-only bucket policy lifted: the emulator speaks plain HTTP)' : ''}`,
  );

  const { handler: restore } = await import('../functions/restore');
  const where = { account: table.accountId, region: table.region, table: table.tableName };
  const listed = await restore({ action: 'list', ...where }, lambdaContext('restore'));
  if (listed.action !== 'list') throw new Error('restore list answered something else');
  console.log('');
  show('list', `${listed.snapshots.length} completed export(s), newest first:`);
  for (const s of listed.snapshots) show('', `${s.snapshot}  ${s.time}  ${s.itemCount ?? '?'} items`);

  const target = `${table.tableName}-restored`;
  // The restore reads the export's manifests (to refuse a tampered export) through the snapshot-reader role.
  const { result: restored, policyLifted } = await withTlsDenyLifted(config, () =>
    restore({ action: 'restore', ...where, snapshot: exportId, targetTable: target }, lambdaContext('restore')),
  );
  if (restored.action !== 'restore') throw new Error('restore answered something else');
  show(
    'restore',
    `${restored.snapshot} → ${restored.targetTable} (export checked against its manifest${policyLifted ? ', read with the TLS-only deny lifted' : ''})`,
  );
  show('  import', `${restored.pipelineId} ${restored.state ?? ''}`);
  const imported = await until(
    `import ${restored.pipelineId}`,
    () => source.send(new DescribeImportCommand({ ImportArn: restored.pipelineId })),
    (o) => o.ImportTableDescription?.ImportStatus !== 'IN_PROGRESS',
    DEMO_WAIT,
  );
  const d = imported.ImportTableDescription;
  show('  import', `${d?.ImportStatus}: ${d?.ImportedItemCount} items imported, ${d?.ErrorCount} errors`);

  const difference = await compareTables({ client: source, table: table.tableName }, { client: source, table: target });
  const { missing, unexpected, changed, counts } = difference;
  console.log('');
  if (missing.length + unexpected.length + changed.length === 0 && counts.expected === counts.actual) {
    show('compare', `${counts.actual} items identical (${table.tableName} and ${target}, every attribute)`);
    return 0;
  }
  show(
    'compare',
    `DIFFERENT: ${missing.length} missing, ${unexpected.length} unexpected, ${changed.length} changed (${counts.expected} expected, ${counts.actual} restored)`,
  );
  for (const c of changed.slice(0, 5))
    show('', `${c.key}: ${JSON.stringify(c.expected)} ≠ ${JSON.stringify(c.actual)}`);
  for (const k of missing.slice(0, 5)) show('', `missing ${k}`);
  for (const k of unexpected.slice(0, 5)) show('', `unexpected ${k}`);
  return 1;
}
