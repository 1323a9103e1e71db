import { randomBytes } from 'node:crypto';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

/**
 * What EventBridge Scheduler does when a schedule fires, for a local emulator that stores schedules
 * but never fires them (moto): read the schedule, assume its execution role, put the context
 * attributes into its Input and make the universal target's API call with the role's credentials.
 */
export interface FireScheduleOptions {
  endpoint: string;
  /** The schedule's account (it is read with credentials of that account). */
  accountId: string;
  region: string;
  groupName: string;
  scheduleName: string;
  /** `<aws.scheduler.scheduled-time>`; default: now, to the second. */
  scheduledTime?: Date;
  /** `<aws.scheduler.execution-id>`; default: 16 random hex digits, new on every call, as Scheduler's. */
  executionId?: string;
  /** `<aws.scheduler.attempt-number>`; default 1 (a retry by Scheduler's retry policy counts up). */
  attemptNumber?: number;
}

/** The universal target's form (Scheduler user guide, managing-targets-universal): `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`. */
const UNIVERSAL_TARGET = /^arn:aws:scheduler:::aws-sdk:([a-z0-9-]+):([a-zA-Z0-9]+)$/;

/** Request members that are timestamps, which the JSON Input carries as epoch seconds or ISO strings. */
const TIMESTAMP_MEMBERS = new Set(['ExportTime', 'ExportFromTime', 'ExportToTime', 'RestoreDateTime']);

type Command = new (input: unknown) => dynamodb.ExportTableToPointInTimeCommand;

/** The SDK clients the helper can call a universal target with: DynamoDB (every API action). */
const SERVICES: Record<string, (action: string) => Command | undefined> = {
  dynamodb: (action) =>
    (dynamodb as unknown as Record<string, Command | undefined>)[
      `${action[0]?.toUpperCase()}${action.slice(1)}Command`
    ],
};

/** `2022-03-22T18:59:43Z`: how Scheduler writes `<aws.scheduler.scheduled-time>` (user guide, managing-schedule-context-attributes). */
function schedulerTime(t: Date): string {
  return `${t.toISOString().slice(0, 19)}Z`;
}

/** Performs the schedule's target call exactly as Scheduler would and returns the API's response. */
export async function fireSchedule(opts: FireScheduleOptions): Promise<unknown> {
  const { endpoint, accountId, region, groupName, scheduleName } = opts;
  const sts = new STSClient({ region, endpoint });
  const reader = await assume(sts, `arn:aws:iam::${accountId}:role/scheduler-emulator`, 'scheduler-emulator');
  const schedule = await new SchedulerClient({ region, endpoint, credentials: reader }).send(
    new GetScheduleCommand({ GroupName: groupName, Name: scheduleName }),
  );
  const where = `schedule ${groupName}/${scheduleName} in ${accountId}/${region}`;
  if (schedule.State === 'DISABLED') throw new Error(`${where} is DISABLED: Scheduler would not fire it`);
  const target = schedule.Target;
  if (target?.Arn === undefined || target.RoleArn === undefined) throw new Error(`${where} has no target or role`);
  const universal = UNIVERSAL_TARGET.exec(target.Arn);
  if (universal === null) throw new Error(`${where}: target ${target.Arn} is not a universal target (aws-sdk)`);
  const [, service = '', action = ''] = universal;
  const command = SERVICES[service]?.(action);
  if (command === undefined) {
    throw new Error(`${where}: fireSchedule cannot call ${service}:${action} (supported: dynamodb actions)`);
  }

  const executionId = opts.executionId ?? randomBytes(8).toString('hex');
  const scheduledTime = opts.scheduledTime ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const context: Record<string, string> = {
    '<aws.scheduler.schedule-arn>': schedule.Arn ?? '',
    '<aws.scheduler.scheduled-time>': schedulerTime(scheduledTime),
    '<aws.scheduler.execution-id>': executionId,
    '<aws.scheduler.attempt-number>': String(opts.attemptNumber ?? 1),
  };
  const text = (target.Input ?? '{}').replace(/<aws\.scheduler\.[a-z-]+>/g, (k) => context[k] ?? k);
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where}: its Input is not JSON once the context attributes are put in: ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(input)) {
    if (TIMESTAMP_MEMBERS.has(k) && (typeof v === 'number' || typeof v === 'string')) {
      input[k] = new Date(typeof v === 'number' ? v * 1000 : v);
    }
  }

  // Scheduler calls the target as the execution role, in the schedule's region.
  const credentials = await assume(sts, target.RoleArn, `scheduler-${executionId}`);
  const client = new dynamodb.DynamoDBClient({ region, endpoint, credentials });
  return client.send(new command(input));
}

async function assume(sts: STSClient, roleArn: string, session: string): Promise<AwsCredentialIdentity> {
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session.slice(0, 64) }));
  const c = out.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
    throw new Error(`AssumeRole ${roleArn} gave no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}
