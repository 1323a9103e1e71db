import { z } from 'zod';
import { InvalidEventError } from '../errors';
import { isRegion } from './regions';
import { ACCOUNT_ID, type KeyAttribute, TABLE_NAME, type TableRef, tableArn } from './table-ref';

/**
 * Parsing of the EventBridge envelope around a CloudTrail "AWS API Call" record for DynamoDB.
 * Pure: no configuration, no AWS. Malformed input throws InvalidEventError naming what is wrong;
 * a well-formed record of a failed call is returned as `failed` so the caller can ignore it.
 */

/**
 * The calls that create a table: CreateTable, and the restores, which create their target table
 * (ImportTable from S3, as the native restore and the restore drills do; point-in-time recovery;
 * an on-demand backup). Each is a CloudTrail management event of dynamodb.amazonaws.com.
 */
export const TABLE_CREATION_EVENTS = [
  'CreateTable',
  'ImportTable',
  'RestoreTableToPointInTime',
  'RestoreTableFromBackup',
] as const;
export type TableCreationEventName = (typeof TABLE_CREATION_EVENTS)[number];
export type TableEventName = TableCreationEventName | 'DeleteTable';

export function isTableCreation(eventName: string): eventName is TableCreationEventName {
  return (TABLE_CREATION_EVENTS as readonly string[]).includes(eventName);
}

/**
 * Where each call's record names the table it creates or deletes, and where its response
 * describes that table (CloudTrail writes the API's request and response in camelCase:
 * ImportTableInput.TableCreationParameters.TableName, RestoreTableToPointInTimeInput.TargetTableName,
 * RestoreTableFromBackupInput.TargetTableName; ImportTableOutput.ImportTableDescription,
 * RestoreTable*Output.TableDescription).
 */
const TABLE_NAME_PATH: Readonly<Record<TableEventName, readonly string[]>> = {
  CreateTable: ['tableName'],
  DeleteTable: ['tableName'],
  ImportTable: ['tableCreationParameters', 'tableName'],
  RestoreTableToPointInTime: ['targetTableName'],
  RestoreTableFromBackup: ['targetTableName'],
};
const DESCRIPTION_KEY: Readonly<Record<TableEventName, 'tableDescription' | 'importTableDescription'>> = {
  CreateTable: 'tableDescription',
  DeleteTable: 'tableDescription',
  ImportTable: 'importTableDescription',
  RestoreTableToPointInTime: 'tableDescription',
  RestoreTableFromBackup: 'tableDescription',
};

export interface TableEvent {
  kind: 'table-event';
  eventName: TableEventName;
  eventId: string;
  eventTime?: string;
  table: TableRef;
  /**
   * The table's incarnation (`responseElements.tableDescription.tableId`): a table deleted and
   * created again under the same name gets a new one. Absent from older records and AWS's 2015 sample.
   */
  tableId?: string;
  /** Tags given in the CreateTable request (empty for the other calls, whose requests carry none). */
  tags: Readonly<Record<string, string>>;
  /**
   * The key schema of a created table, when it can be read (kept for restores): from the
   * CreateTable request, ImportTable's tableCreationParameters, or a restore's response.
   */
  keySchema?: KeyAttribute[];
}

export interface FailedCallEvent {
  kind: 'failed-call';
  eventName: string;
  eventId: string;
  errorCode: string;
  errorMessage?: string;
}

export interface OtherCallEvent {
  kind: 'other-call';
  eventName: string;
  eventId: string;
}

export type ParsedEvent = TableEvent | FailedCallEvent | OtherCallEvent;

/** DynamoDB's own tag limits (a table holds at most 50; key ≤ 128, value ≤ 256 characters). */
const MAX_TAGS = 50;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
/** A CloudTrail record is at most 256 KB; an event far larger than that was not made by AWS. */
const MAX_EVENT_BYTES = 256 * 1024;
/** DynamoDB's TableId pattern (API reference, TableDescription / BulkOperationTableDetail). */
const TABLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The UTC timestamps CloudTrail (`eventTime`) and EventBridge (`time`) write: 2026-11-26T09:14:03Z. */
const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

const tagSchema = z
  .object({
    key: z.string().optional(),
    Key: z.string().optional(),
    value: z.string().optional(),
    Value: z.string().optional(),
  })
  .passthrough();

const detailSchema = z
  .object({
    eventSource: z.string({ required_error: 'detail.eventSource is missing' }),
    eventName: z.string({ required_error: 'detail.eventName is missing' }).min(1, 'detail.eventName is empty'),
    eventID: z.string({ required_error: 'detail.eventID is missing' }).min(1, 'detail.eventID is empty'),
    eventTime: z.string().optional(),
    awsRegion: z.string({ required_error: 'detail.awsRegion is missing' }),
    recipientAccountId: z.string({ required_error: 'detail.recipientAccountId is missing' }),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    requestParameters: z
      .object({
        tableName: z.string().optional(),
        targetTableName: z.string().optional(),
        tableCreationParameters: z.object({ tableName: z.string().optional() }).passthrough().nullish(),
        tags: z.array(tagSchema, { invalid_type_error: 'detail.requestParameters.tags must be a list' }).optional(),
      })
      .passthrough()
      .nullish(),
    responseElements: z
      .object({
        tableDescription: z
          .object({ tableArn: z.string().optional(), tableName: z.string().optional(), tableId: z.string().optional() })
          .passthrough()
          .nullish(),
        importTableDescription: z
          .object({ tableArn: z.string().optional(), tableId: z.string().optional() })
          .passthrough()
          .nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const envelopeSchema = z
  .object({
    source: z.string({ required_error: 'source is missing' }),
    'detail-type': z.string({ required_error: 'detail-type is missing' }),
    account: z.string({ invalid_type_error: 'account must be a string' }).optional(),
    region: z.string({ invalid_type_error: 'region must be a string' }).optional(),
    time: z.string({ invalid_type_error: 'time must be a string' }).optional(),
    detail: z.unknown(),
  })
  .passthrough();

export function parseTableEvent(input: unknown): ParsedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidEventError(`event must be a JSON object, got ${describeType(input)}`);
  }
  const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (size > MAX_EVENT_BYTES) {
    throw new InvalidEventError(`event is ${size} bytes, larger than any CloudTrail record (${MAX_EVENT_BYTES})`);
  }
  const envelope = envelopeSchema.safeParse(input);
  if (!envelope.success) throw invalid(envelope.error);
  const { source } = envelope.data;
  if (source !== 'aws.dynamodb') {
    throw new InvalidEventError(`source is "${source}", expected "aws.dynamodb"`);
  }
  const detailType = envelope.data['detail-type'];
  if (detailType !== 'AWS API Call via CloudTrail') {
    throw new InvalidEventError(`detail-type is "${detailType}", expected "AWS API Call via CloudTrail"`);
  }
  const rawDetail = envelope.data.detail;
  if (typeof rawDetail !== 'object' || rawDetail === null || Array.isArray(rawDetail)) {
    throw new InvalidEventError(
      rawDetail === undefined ? 'detail is missing' : `detail must be an object, got ${describeType(rawDetail)}`,
    );
  }
  const parsed = detailSchema.safeParse(rawDetail);
  if (!parsed.success) throw invalid(parsed.error, 'detail.');
  const d = parsed.data;
  if (d.eventSource !== 'dynamodb.amazonaws.com') {
    throw new InvalidEventError(`detail.eventSource is "${d.eventSource}", expected "dynamodb.amazonaws.com"`);
  }
  if (d.errorCode !== undefined && d.errorCode !== '') {
    checkEnvelopeAgrees(envelope.data, d);
    return {
      kind: 'failed-call',
      eventName: d.eventName,
      eventId: d.eventID,
      errorCode: d.errorCode,
      errorMessage: d.errorMessage,
    };
  }
  const eventName = d.eventName;
  if (eventName !== 'DeleteTable' && !isTableCreation(eventName)) {
    checkEnvelopeAgrees(envelope.data, d);
    return { kind: 'other-call', eventName, eventId: d.eventID };
  }
  if (!ACCOUNT_ID.test(d.recipientAccountId)) {
    throw new InvalidEventError(`detail.recipientAccountId "${d.recipientAccountId}" is not a 12-digit account id`);
  }
  if (!isRegion(d.awsRegion)) {
    throw new InvalidEventError(`detail.awsRegion "${d.awsRegion}" is not a known AWS region name`);
  }
  checkEnvelopeAgrees(envelope.data, d);
  const namePath = `detail.requestParameters.${TABLE_NAME_PATH[eventName].join('.')}`;
  const tableName = readPath(d.requestParameters, TABLE_NAME_PATH[eventName]);
  if (tableName === undefined || tableName === null) {
    throw new InvalidEventError(`${namePath} is missing`);
  }
  if (typeof tableName !== 'string') {
    throw new InvalidEventError(`${namePath} must be a string, got ${describeType(tableName)}`);
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new InvalidEventError(
      `${namePath} "${truncate(tableName)}" is not a valid DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ - .)`,
    );
  }
  const arn = tableArn(d.awsRegion, d.recipientAccountId, tableName);
  const descriptionKey = DESCRIPTION_KEY[eventName];
  const description = d.responseElements?.[descriptionKey] ?? undefined;
  const reportedArn = description?.tableArn;
  if (reportedArn !== undefined && reportedArn !== arn) {
    throw new InvalidEventError(
      `responseElements.${descriptionKey}.tableArn "${truncate(reportedArn)}" does not match ${arn}`,
    );
  }
  const tableId = description?.tableId;
  if (tableId !== undefined && !TABLE_ID.test(tableId)) {
    throw new InvalidEventError(
      `detail.responseElements.${descriptionKey}.tableId "${truncate(tableId)}" is not a DynamoDB table id (a lower-case UUID)`,
    );
  }
  return {
    kind: 'table-event',
    eventName,
    eventId: d.eventID,
    eventTime: d.eventTime,
    table: { accountId: d.recipientAccountId, region: d.awsRegion, tableName, tableArn: arn },
    tableId,
    tags: eventName === 'CreateTable' ? readTags(d.requestParameters?.tags ?? []) : {},
    keySchema: keySchemaOf(eventName, d.requestParameters ?? {}, d.responseElements?.tableDescription ?? {}),
  };
}

/** The value at `path` under `root`, or undefined where any step is absent (or not an object). */
function readPath(root: unknown, path: readonly string[]): unknown {
  let at: unknown = root;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * A created table's key schema: CreateTable's request, ImportTable's tableCreationParameters, a
 * restore's response (its request names only the source); undefined for DeleteTable, or where the
 * record lacks it (a restore then reads it from DescribeTable).
 */
function keySchemaOf(
  eventName: TableEventName,
  request: Record<string, unknown>,
  tableDescription: Record<string, unknown>,
): KeyAttribute[] | undefined {
  switch (eventName) {
    case 'CreateTable':
      return readKeySchema(request);
    case 'ImportTable': {
      const params = request.tableCreationParameters;
      return typeof params === 'object' && params !== null
        ? readKeySchema(params as Record<string, unknown>)
        : undefined;
    }
    case 'RestoreTableToPointInTime':
    case 'RestoreTableFromBackup':
      return readKeySchema(tableDescription);
    case 'DeleteTable':
      return undefined;
  }
}

/**
 * The envelope must describe the same call as its CloudTrail record: EventBridge stamps `account`
 * and `region` with where the call happened, and a rule forwarding the event to the orchestrator's
 * bus in another account keeps them (EventBridge user guide, "Sending and receiving events between
 * AWS accounts"; aws-facts §3), so they equal `recipientAccountId` and `awsRegion`. Each time
 * present must be a real UTC timestamp: the lifecycle orders a table's events by them.
 */
function checkEnvelopeAgrees(
  envelope: { account?: string; region?: string; time?: string },
  d: { recipientAccountId: string; awsRegion: string; eventTime?: string },
): void {
  if (envelope.account !== undefined && envelope.account !== d.recipientAccountId) {
    throw new InvalidEventError(
      `account "${truncate(envelope.account)}" does not match detail.recipientAccountId "${truncate(d.recipientAccountId)}": the envelope and its CloudTrail record disagree`,
    );
  }
  if (envelope.region !== undefined && envelope.region !== d.awsRegion) {
    throw new InvalidEventError(
      `region "${truncate(envelope.region)}" does not match detail.awsRegion "${truncate(d.awsRegion)}": the envelope and its CloudTrail record disagree`,
    );
  }
  if (envelope.time !== undefined && !isUtcTimestamp(envelope.time)) {
    throw new InvalidEventError(
      `time "${truncate(envelope.time)}" is not a UTC timestamp such as 2026-11-26T09:14:03Z`,
    );
  }
  if (d.eventTime !== undefined && !isUtcTimestamp(d.eventTime)) {
    throw new InvalidEventError(
      `detail.eventTime "${truncate(d.eventTime)}" is not a UTC timestamp such as 2026-11-26T09:14:03Z`,
    );
  }
}

/** A UTC ISO 8601 timestamp naming a real instant (no 2026-02-30, no 25:00). */
function isUtcTimestamp(s: string): boolean {
  const m = UTC_TIMESTAMP.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1970 &&
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second
  );
}

/** The key attributes and their types, from keySchema + attributeDefinitions; undefined if incomplete. */
function readKeySchema(params: Record<string, unknown>): KeyAttribute[] | undefined {
  const keys = params.keySchema;
  const defs = params.attributeDefinitions;
  if (!Array.isArray(keys) || !Array.isArray(defs)) return undefined;
  const types = new Map(defs.map((d) => [d?.attributeName, d?.attributeType]));
  const out: KeyAttribute[] = [];
  for (const k of keys) {
    const type = types.get(k?.attributeName);
    if (
      typeof k?.attributeName !== 'string' ||
      (k.keyType !== 'HASH' && k.keyType !== 'RANGE') ||
      !['S', 'N', 'B'].includes(type)
    )
      return undefined;
    out.push({ name: k.attributeName, type, keyType: k.keyType });
  }
  return out.length > 0 ? out : undefined;
}

function readTags(tags: z.infer<typeof tagSchema>[]): Record<string, string> {
  if (tags.length > MAX_TAGS) {
    throw new InvalidEventError(
      `detail.requestParameters.tags holds ${tags.length} tags; DynamoDB allows at most ${MAX_TAGS}`,
    );
  }
  const out: Record<string, string> = {};
  tags.forEach((tag, i) => {
    const key = tag.key ?? tag.Key;
    const value = tag.value ?? tag.Value ?? '';
    if (key === undefined || key === '') throw new InvalidEventError(`detail.requestParameters.tags[${i}] has no key`);
    if (key.length > MAX_TAG_KEY) {
      throw new InvalidEventError(
        `detail.requestParameters.tags[${i}] key is ${key.length} characters; the limit is ${MAX_TAG_KEY}`,
      );
    }
    if (value.length > MAX_TAG_VALUE) {
      throw new InvalidEventError(
        `detail.requestParameters.tags[${i}] ("${truncate(key)}") value is ${value.length} characters; the limit is ${MAX_TAG_VALUE}`,
      );
    }
    out[key] = value;
  });
  return out;
}

function invalid(error: z.ZodError, prefix = ''): InvalidEventError {
  const problems = error.issues.map((i) => {
    const path = i.path.join('.');
    if (i.message.includes(' is missing') || i.message.includes(' is empty') || i.message.includes('must be'))
      return i.message;
    return `${prefix}${path}: ${i.message}`;
  });
  return new InvalidEventError(`malformed event: ${problems.join('; ')}`);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function truncate(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
