import { z } from 'zod';
import { InvalidEventError } from '../errors';
import { isRegion } from './regions';
import { ACCOUNT_ID, type KeyAttribute, TABLE_NAME, type TableRef, tableArn } from './table-ref';

/**
 * Parsing of the EventBridge envelope around a CloudTrail "AWS API Call" record for DynamoDB.
 * Pure: no configuration, no AWS. Malformed input throws InvalidEventError naming what is wrong;
 * a well-formed record of a failed call is returned as `failed` so the caller can ignore it.
 */

export type TableEventName = 'CreateTable' | 'DeleteTable';

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
  /** Tags given in the CreateTable request (empty for DeleteTable). */
  tags: Readonly<Record<string, string>>;
  /** The key schema given in the CreateTable request, when it can be read (kept for restores). */
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
  if (d.eventName !== 'CreateTable' && d.eventName !== 'DeleteTable') {
    checkEnvelopeAgrees(envelope.data, d);
    return { kind: 'other-call', eventName: d.eventName, eventId: d.eventID };
  }
  if (!ACCOUNT_ID.test(d.recipientAccountId)) {
    throw new InvalidEventError(`detail.recipientAccountId "${d.recipientAccountId}" is not a 12-digit account id`);
  }
  if (!isRegion(d.awsRegion)) {
    throw new InvalidEventError(`detail.awsRegion "${d.awsRegion}" is not a known AWS region name`);
  }
  checkEnvelopeAgrees(envelope.data, d);
  const tableName = d.requestParameters?.tableName;
  if (tableName === undefined) {
    throw new InvalidEventError('detail.requestParameters.tableName is missing');
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new InvalidEventError(
      `detail.requestParameters.tableName "${truncate(tableName)}" is not a valid DynamoDB table name (3-255 characters of a-z A-Z 0-9 _ - .)`,
    );
  }
  const arn = tableArn(d.awsRegion, d.recipientAccountId, tableName);
  const reportedArn = d.responseElements?.tableDescription?.tableArn;
  if (reportedArn !== undefined && reportedArn !== arn) {
    throw new InvalidEventError(
      `responseElements.tableDescription.tableArn "${truncate(reportedArn)}" does not match ${arn}`,
    );
  }
  const tableId = d.responseElements?.tableDescription?.tableId;
  if (tableId !== undefined && !TABLE_ID.test(tableId)) {
    throw new InvalidEventError(
      `detail.responseElements.tableDescription.tableId "${truncate(tableId)}" is not a DynamoDB table id (a lower-case UUID)`,
    );
  }
  return {
    kind: 'table-event',
    eventName: d.eventName,
    eventId: d.eventID,
    eventTime: d.eventTime,
    table: { accountId: d.recipientAccountId, region: d.awsRegion, tableName, tableArn: arn },
    tableId,
    tags: d.eventName === 'CreateTable' ? readTags(d.requestParameters?.tags ?? []) : {},
    keySchema: d.eventName === 'CreateTable' ? readKeySchema(d.requestParameters ?? {}) : undefined,
  };
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
