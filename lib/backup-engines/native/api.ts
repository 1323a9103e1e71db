import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ImportTableCommand,
  paginateListExports,
  paginateListImports,
  type TableDescription,
  ResourceNotFoundException as TableNotFound,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  paginateListSchedules,
  ResourceNotFoundException as ScheduleNotFound,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
import type { TableShape } from '../../domain/lifecycle';
import type { ExportInput, ExportSchedule } from './schedule';

/** An export as DescribeExport tells it (the fields the product reads). */
export interface ExportInfo {
  arn: string;
  status: string;
  type?: string;
  /** The point in time the export holds (ExportTime), ISO 8601. */
  time?: string;
  startTime?: string;
  bucket?: string;
  prefix?: string;
  itemCount?: number;
  sizeBytes?: number;
  failure?: string;
}

/** An import as ListImports / DescribeImport tell it. */
export interface ImportInfo {
  arn: string;
  status: string;
  tableArn?: string;
  bucket?: string;
  keyPrefix?: string;
}

export interface ImportRequest {
  clientToken: string;
  bucket: string;
  bucketOwner: string;
  keyPrefix: string;
  tableName: string;
  shape: TableShape;
}

/** The Scheduler and DynamoDB control-plane calls the native engine makes in one source account and region. */
export interface NativeCalls {
  /** Fetches the clients' credentials ahead of the first call, so that it can overlap other work. */
  warm(): Promise<void>;
  /** The table's ARN and shape, or undefined when there is no such table. */
  describeTable(tableName: string): Promise<{ tableArn: string; shape: TableShape } | undefined>;
  pitrEnabled(tableName: string): Promise<boolean>;
  enablePitr(tableName: string): Promise<void>;
  /** Creates the schedule; throws Scheduler's ConflictException when one of that name exists. Resolves its ARN. */
  createSchedule(schedule: ExportSchedule): Promise<string>;
  updateSchedule(schedule: ExportSchedule): Promise<string>;
  getSchedule(group: string, name: string): Promise<{ arn: string; schedule: ExportSchedule } | undefined>;
  /** Resolves false when there was no such schedule. */
  deleteSchedule(group: string, name: string): Promise<boolean>;
  listSchedules(group: string): Promise<Array<{ name: string; state?: string }>>;
  listExports(tableArn: string): Promise<Array<{ arn: string; status?: string }>>;
  describeExport(exportArn: string): Promise<ExportInfo>;
  importTable(request: ImportRequest): Promise<ImportInfo>;
  describeImport(importArn: string): Promise<ImportInfo>;
  listImports(tableArn: string): Promise<ImportInfo[]>;
}

type Pace = () => Promise<void>;

/** Paces every request that leaves the process, inside the SDK's retry loop (as PipelineApi does): retries wait their turn too. */
function paced(client: { middlewareStack: MiddlewareStack<object, MetadataBearer> }, pace: Pace, name: string): void {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    await pace();
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware, {
    name,
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    override: true,
  });
}

/** NativeCalls through the Scheduler and DynamoDB clients (through the function's source role). */
export class NativeApi implements NativeCalls {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly dynamodb: DynamoDBClient,
    private readonly warmUp?: () => Promise<unknown>,
    pace?: Pace,
  ) {
    if (pace !== undefined) {
      paced(scheduler as never, pace, 'nativeSchedulerPace');
      paced(dynamodb as never, pace, 'nativeDynamoDbPace');
    }
  }

  async warm(): Promise<void> {
    await this.warmUp?.();
  }

  async describeTable(tableName: string): Promise<{ tableArn: string; shape: TableShape } | undefined> {
    try {
      const out = await this.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableArn === undefined) return undefined;
      return { tableArn: out.Table.TableArn, shape: shapeOf(out.Table) };
    } catch (e) {
      if (e instanceof TableNotFound) return undefined;
      throw e;
    }
  }

  async pitrEnabled(tableName: string): Promise<boolean> {
    const out = await this.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: tableName }));
    return out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
  }

  async enablePitr(tableName: string): Promise<void> {
    await this.dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName: tableName,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
  }

  async createSchedule(schedule: ExportSchedule): Promise<string> {
    const out = await this.scheduler.send(new CreateScheduleCommand(scheduleRequest(schedule)));
    return out.ScheduleArn as string;
  }

  async updateSchedule(schedule: ExportSchedule): Promise<string> {
    const out = await this.scheduler.send(new UpdateScheduleCommand(scheduleRequest(schedule)));
    return out.ScheduleArn as string;
  }

  async getSchedule(group: string, name: string): Promise<{ arn: string; schedule: ExportSchedule } | undefined> {
    try {
      const s = await this.scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name }));
      const window = s.FlexibleTimeWindow;
      return {
        arn: s.Arn as string,
        schedule: {
          name: s.Name ?? name,
          group: s.GroupName ?? group,
          description: s.Description ?? '',
          expression: s.ScheduleExpression ?? '',
          timezone: s.ScheduleExpressionTimezone ?? 'UTC',
          window:
            window?.Mode === 'FLEXIBLE'
              ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: window.MaximumWindowInMinutes ?? 0 }
              : { Mode: 'OFF' },
          state: s.State ?? '',
          target: {
            Arn: s.Target?.Arn ?? '',
            RoleArn: s.Target?.RoleArn ?? '',
            Input: parseInput(s.Target?.Input),
            RetryPolicy: {
              MaximumEventAgeInSeconds: s.Target?.RetryPolicy?.MaximumEventAgeInSeconds ?? 0,
              MaximumRetryAttempts: s.Target?.RetryPolicy?.MaximumRetryAttempts ?? 0,
            },
            DeadLetterConfig: { Arn: s.Target?.DeadLetterConfig?.Arn ?? '' },
          },
        },
      };
    } catch (e) {
      if (e instanceof ScheduleNotFound) return undefined;
      throw e;
    }
  }

  async deleteSchedule(group: string, name: string): Promise<boolean> {
    try {
      await this.scheduler.send(new DeleteScheduleCommand({ GroupName: group, Name: name }));
      return true;
    } catch (e) {
      if (e instanceof ScheduleNotFound) return false;
      throw e;
    }
  }

  async listSchedules(group: string): Promise<Array<{ name: string; state?: string }>> {
    const out: Array<{ name: string; state?: string }> = [];
    for await (const page of paginateListSchedules({ client: this.scheduler }, { GroupName: group })) {
      for (const s of page.Schedules ?? []) if (s.Name !== undefined) out.push({ name: s.Name, state: s.State });
    }
    return out;
  }

  async listExports(tableArn: string): Promise<Array<{ arn: string; status?: string }>> {
    const out: Array<{ arn: string; status?: string }> = [];
    for await (const page of paginateListExports({ client: this.dynamodb }, { TableArn: tableArn })) {
      for (const e of page.ExportSummaries ?? [])
        if (e.ExportArn !== undefined) out.push({ arn: e.ExportArn, status: e.ExportStatus });
    }
    return out;
  }

  async describeExport(exportArn: string): Promise<ExportInfo> {
    const out = await this.dynamodb.send(new DescribeExportCommand({ ExportArn: exportArn }));
    const d = out.ExportDescription;
    return {
      arn: exportArn,
      status: d?.ExportStatus ?? 'UNKNOWN',
      type: d?.ExportType,
      time: iso(d?.ExportTime),
      startTime: iso(d?.StartTime),
      bucket: d?.S3Bucket,
      prefix: d?.S3Prefix,
      itemCount: d?.ItemCount,
      sizeBytes: d?.BilledSizeBytes,
      failure: d?.FailureMessage,
    };
  }

  async importTable(r: ImportRequest): Promise<ImportInfo> {
    const { shape } = r;
    const provisioned = shape.billingMode === 'PROVISIONED';
    const out = await this.dynamodb.send(
      new ImportTableCommand({
        ClientToken: r.clientToken,
        S3BucketSource: { S3Bucket: r.bucket, S3BucketOwner: r.bucketOwner, S3KeyPrefix: r.keyPrefix },
        InputFormat: 'DYNAMODB_JSON',
        InputCompressionType: 'GZIP',
        TableCreationParameters: {
          TableName: r.tableName,
          AttributeDefinitions: shape.attributeDefinitions.map((a) => ({
            AttributeName: a.AttributeName,
            AttributeType: a.AttributeType as 'S' | 'N' | 'B',
          })),
          KeySchema: shape.keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType as 'HASH' })),
          BillingMode: shape.billingMode,
          ...(provisioned && shape.provisionedThroughput ? { ProvisionedThroughput: shape.provisionedThroughput } : {}),
          ...(shape.globalSecondaryIndexes.length > 0
            ? {
                GlobalSecondaryIndexes: shape.globalSecondaryIndexes.map((g) => ({
                  IndexName: g.IndexName,
                  KeySchema: g.KeySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType as 'HASH' })),
                  Projection: {
                    ProjectionType: g.Projection.ProjectionType as 'ALL',
                    NonKeyAttributes: g.Projection.NonKeyAttributes,
                  },
                  ...(provisioned && g.ProvisionedThroughput ? { ProvisionedThroughput: g.ProvisionedThroughput } : {}),
                })),
              }
            : {}),
        },
      }),
    );
    return importInfo(out.ImportTableDescription);
  }

  async describeImport(importArn: string): Promise<ImportInfo> {
    const out = await this.dynamodb.send(new DescribeImportCommand({ ImportArn: importArn }));
    return importInfo(out.ImportTableDescription);
  }

  async listImports(tableArn: string): Promise<ImportInfo[]> {
    const out: ImportInfo[] = [];
    for await (const page of paginateListImports({ client: this.dynamodb }, { TableArn: tableArn })) {
      for (const i of page.ImportSummaryList ?? [])
        out.push({
          arn: i.ImportArn ?? '',
          status: i.ImportStatus ?? 'UNKNOWN',
          tableArn: i.TableArn,
          bucket: i.S3BucketSource?.S3Bucket,
          keyPrefix: i.S3BucketSource?.S3KeyPrefix,
        });
    }
    return out;
  }
}

function importInfo(
  d:
    | {
        ImportArn?: string;
        ImportStatus?: string;
        TableArn?: string;
        S3BucketSource?: { S3Bucket?: string; S3KeyPrefix?: string };
      }
    | undefined,
): ImportInfo {
  return {
    arn: d?.ImportArn ?? '',
    status: d?.ImportStatus ?? 'UNKNOWN',
    tableArn: d?.TableArn,
    bucket: d?.S3BucketSource?.S3Bucket,
    keyPrefix: d?.S3BucketSource?.S3KeyPrefix,
  };
}

const iso = (d: Date | undefined) => (d === undefined ? undefined : d.toISOString());

function parseInput(text: string | undefined): ExportInput {
  try {
    return JSON.parse(text ?? '{}') as ExportInput;
  } catch {
    return {} as ExportInput; // not JSON: differs from what the product writes, so it is rewritten
  }
}

function scheduleRequest(s: ExportSchedule) {
  return {
    Name: s.name,
    GroupName: s.group,
    Description: s.description,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    FlexibleTimeWindow: s.window,
    State: s.state as 'ENABLED',
    Target: { ...s.target, Input: JSON.stringify(s.target.Input) },
  };
}

/** A table's shape from DescribeTable, in the API's names. */
function shapeOf(t: TableDescription): TableShape {
  const throughput = (p: { ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined) =>
    p?.ReadCapacityUnits !== undefined && p.WriteCapacityUnits !== undefined && p.ReadCapacityUnits > 0
      ? { ReadCapacityUnits: p.ReadCapacityUnits, WriteCapacityUnits: p.WriteCapacityUnits }
      : undefined;
  const billingMode =
    t.BillingModeSummary?.BillingMode ?? (throughput(t.ProvisionedThroughput) ? 'PROVISIONED' : 'PAY_PER_REQUEST');
  const keys = (ks: Array<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (ks ?? []).map((k) => ({ AttributeName: k.AttributeName ?? '', KeyType: k.KeyType ?? '' }));
  return {
    attributeDefinitions: (t.AttributeDefinitions ?? []).map((a) => ({
      AttributeName: a.AttributeName ?? '',
      AttributeType: a.AttributeType ?? '',
    })),
    keySchema: keys(t.KeySchema),
    globalSecondaryIndexes: (t.GlobalSecondaryIndexes ?? []).map((g) => {
      const gt = throughput(g.ProvisionedThroughput);
      return {
        IndexName: g.IndexName ?? '',
        KeySchema: keys(g.KeySchema),
        Projection: {
          ProjectionType: g.Projection?.ProjectionType,
          ...(g.Projection?.NonKeyAttributes ? { NonKeyAttributes: g.Projection.NonKeyAttributes } : {}),
        },
        ...(gt ? { ProvisionedThroughput: gt } : {}),
      };
    }),
    localSecondaryIndexes: (t.LocalSecondaryIndexes ?? []).map((l) => l.IndexName ?? ''),
    billingMode: billingMode === 'PROVISIONED' ? 'PROVISIONED' : 'PAY_PER_REQUEST',
    ...(billingMode === 'PROVISIONED' && throughput(t.ProvisionedThroughput)
      ? { provisionedThroughput: throughput(t.ProvisionedThroughput) }
      : {}),
  };
}
