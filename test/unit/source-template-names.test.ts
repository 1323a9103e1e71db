import { join } from 'node:path';
import { parseConfig } from '../../lib/config';
import { FORWARDING_RULE_NAME } from '../../lib/domain/coverage';
import { loadTemplate } from '../support/cfn';

/**
 * The orchestrator finds what the source template makes in every account by name: the code's defaults and the
 * template's parameter defaults must be the same names, or a deployment with defaults on both sides breaks.
 */
const template = loadTemplate(join(__dirname, '..', '..', 'templates', 'source-account.yml'));
const defaultOf = (parameter: string) =>
  (template.Parameters as Record<string, { Default?: unknown }>)[parameter]?.Default;
const defaults = parseConfig({
  BACKUP_BUCKET: 'corp-ddb-backups',
  BACKUP_ROLE_ARN: 'arn:aws:iam::999999999999:role/ddb-backup-policy-writer',
  SOURCE_ROLE_NAME: 'ddb-backup-orchestrator',
  SOURCE_ACCOUNTS: '111111111111',
  REGISTRY_TABLE: 'ddb-backup-registry',
});

describe('the names the orchestrator looks for in a source account are the source template defaults', () => {
  it.each([
    ['ScheduleGroupName', 'SCHEDULE_GROUP', defaults.scheduleGroup],
    ['ExportSchedulerRoleName', 'EXPORT_SCHEDULER_ROLE', defaults.exportSchedulerRole],
    ['ExportDlqName', 'EXPORT_DLQ_NAME', defaults.exportDlqName],
    ['ForwardRuleName', 'the coverage report (FORWARDING_RULE_NAME)', FORWARDING_RULE_NAME],
  ])('the template parameter %s defaults to what %s uses', (parameter, _user, name) => {
    expect(defaultOf(parameter)).toBe(name);
  });
});
