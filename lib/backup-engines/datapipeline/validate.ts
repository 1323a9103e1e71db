import type { FieldValue, PipelineObject } from './definition';

/**
 * Local validation of a pipeline definition, for what the real service rejects and moto does
 * not check (DevGuide dp-limits and the object reference). Returns the problems found; empty
 * means valid.
 */

const MAX_OBJECTS = 100;
const MAX_FIELDS_PER_OBJECT = 50;
const MAX_FIELD_BYTES = 10_240;

type Requirement = string | readonly string[]; // a field, or "one of" these fields

const REQUIRED: Readonly<Record<string, readonly Requirement[]>> = {
  Schedule: ['period', ['startDateTime', 'startAt']],
  DynamoDBDataNode: ['tableName'],
  S3DataNode: [['directoryPath', 'filePath', 'manifestFilePath']],
  EmrCluster: [],
  EmrActivity: ['step', ['runsOn', 'workerGroup']],
  SnsAlarm: ['topicArn', 'subject', 'message', 'role'],
  S3PrefixNotEmpty: ['s3Prefix'],
};

/** Fields whose value must be a reference, and the object type it must point at (if fixed). */
const REF_FIELDS: Readonly<Record<string, readonly string[] | undefined>> = {
  schedule: ['Schedule'],
  runsOn: ['EmrCluster'],
  onFail: ['SnsAlarm'],
  onSuccess: ['SnsAlarm'],
  onLateAction: ['SnsAlarm'],
  input: undefined,
  output: undefined,
  precondition: undefined,
};

const PERIOD = /^\d+ (minute|minutes|hour|hours|day|days|week|weeks|month|months)$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

export function validateDefinition(objects: readonly PipelineObject[]): string[] {
  const problems: string[] = [];
  if (objects.length === 0) problems.push('the definition holds no objects');
  if (objects.length > MAX_OBJECTS)
    problems.push(`the definition holds ${objects.length} objects; the limit is ${MAX_OBJECTS}`);

  const byId = new Map<string, PipelineObject>();
  for (const o of objects) {
    if (o.id.trim() === '') problems.push('an object has an empty id');
    else if (byId.has(o.id)) problems.push(`object id "${o.id}" is used more than once`);
    else byId.set(o.id, o);
    if (o.name.trim() === '') problems.push(`object "${o.id}" has an empty name`);
  }
  if (!byId.has('Default')) problems.push('the definition has no "Default" object');

  for (const o of objects) {
    const values = Object.entries(o.fields).flatMap(([key, v]) =>
      (Array.isArray(v) ? v : [v]).map((one) => [key, one] as const),
    );
    if (values.length > MAX_FIELDS_PER_OBJECT) {
      problems.push(`object "${o.id}" has ${values.length} fields; the limit is ${MAX_FIELDS_PER_OBJECT}`);
    }
    for (const [key, value] of values) {
      problems.push(...checkField(o, key, value, byId));
    }
    const type = single(o.fields.type);
    if (o.id === 'Default') {
      if (type !== undefined) problems.push('object "Default" must not have a type');
      continue;
    }
    if (type === undefined) {
      problems.push(`object "${o.id}" has no type`);
      continue;
    }
    const required = REQUIRED[type];
    if (required === undefined) {
      problems.push(`object "${o.id}" has unknown type "${type}"`);
      continue;
    }
    for (const req of required) {
      const options = typeof req === 'string' ? [req] : req;
      if (!options.some((f) => present(o.fields[f]))) {
        problems.push(
          `object "${o.id}" (${type}) is missing ${options.length === 1 ? `field "${options[0]}"` : `one of ${options.map((f) => `"${f}"`).join(', ')}`}`,
        );
      }
    }
    if (type === 'Schedule') {
      const period = single(o.fields.period);
      if (period !== undefined && !PERIOD.test(period))
        problems.push(`object "${o.id}" period "${period}" is not like "1 days"`);
      else if (period !== undefined && periodMinutes(period) < 15)
        problems.push(`object "${o.id}" period "${period}" is shorter than 15 minutes`);
      const start = single(o.fields.startDateTime);
      if (start !== undefined && !DATE_TIME.test(start))
        problems.push(`object "${o.id}" startDateTime "${start}" is not YYYY-MM-DDTHH:MM:SS`);
    }
  }
  return problems;
}

function checkField(
  o: PipelineObject,
  key: string,
  value: FieldValue,
  byId: ReadonlyMap<string, PipelineObject>,
): string[] {
  const problems: string[] = [];
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_FIELD_BYTES)
      problems.push(`object "${o.id}" field "${key}" is ${bytes} bytes; the limit is ${MAX_FIELD_BYTES}`);
    if (key in REF_FIELDS) problems.push(`object "${o.id}" field "${key}" must be a reference, not a string`);
    return problems;
  }
  const target = byId.get(value.ref);
  if (target === undefined) {
    problems.push(`object "${o.id}" field "${key}" refers to "${value.ref}", which is not defined`);
    return problems;
  }
  const allowed = REF_FIELDS[key];
  const targetType = single(target.fields.type);
  if (allowed !== undefined && (targetType === undefined || !allowed.includes(targetType))) {
    problems.push(
      `object "${o.id}" field "${key}" must refer to a ${allowed.join(' or ')}, but "${value.ref}" is ${targetType ?? 'untyped'}`,
    );
  }
  return problems;
}

function single(v: FieldValue | FieldValue[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : undefined;
}

function present(v: FieldValue | FieldValue[] | undefined): boolean {
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  return typeof v !== 'string' || v.trim() !== '';
}

function periodMinutes(period: string): number {
  const [n, unit] = period.split(' ') as [string, string];
  const per: Record<string, number> = { minute: 1, hour: 60, day: 1440, week: 10080, month: 40320 };
  return Number(n) * (per[unit.replace(/s$/, '')] ?? 0);
}
