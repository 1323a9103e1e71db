import { PRICES, type Prices } from './prices';

/**
 * What one night of backing up one table costs with each engine: a pure function of the table, the prices
 * (bench/prices.ts) and a run-time model for the Data Pipeline engine's EMR cluster. S3 storage of the backups, and
 * data transfer, are left out: the same for both engines (same bucket, same region).
 */

const GiB = 1024 ** 3;
const DAYS_A_MONTH = 30;

export interface TableNight {
  /** The table's size (DynamoDB's TableSizeBytes), in GB. */
  sizeGb: number;
  /** On-demand tables: emr-dynamodb-tools assumes 40,000 read capacity units for them. */
  capacity: { mode: 'on-demand' } | { mode: 'provisioned'; readCapacityUnits: number };
  /** READ_THROUGHPUT_RATIO: the share of the read capacity the export may use (0.1–1.0). */
  readThroughputRatio: number;
}

/** The EMR cluster a Data Pipeline export starts every night. */
export interface ClusterModel {
  instances: number;
  ec2PerHour: number;
  emrPerHour: number;
  /**
   * From the cluster's request to the export step running: EC2 provisioning, EMR bootstrap, Data Pipeline's task
   * runner. ASSUMPTION: 10 minutes (a transient EMR cluster's bootstrap “takes on average 10 minutes”, The Blue Sentry
   * Blog, “Designing for EC2 Per Second Billing”, a stored page; not measured here — moto runs no cluster).
   */
  startupSeconds: number;
  /** From the step's end to the instances' termination. ASSUMPTION: 1 minute. */
  teardownSeconds: number;
  /**
   * What the cluster can scan and write at most, bytes a second. ASSUMPTION: 16 MiB/s for one m5.xlarge core node
   * (4 vCPU); no figure was found in the stored pages. Only tables read faster than this are limited by it.
   */
  clusterBytesPerSecond: number;
  /** The definition's terminateAfter: a run longer than this is killed unfinished. */
  terminateAfterSeconds: number;
}

/** The engine's cluster: 1 master + 1 core, both m5.xlarge (the PIPELINE_INSTANCE_TYPE default). */
export const M5_CLUSTER: ClusterModel = {
  instances: 2,
  ec2PerHour: PRICES.ec2M5Xlarge.usd,
  emrPerHour: PRICES.emrM5Xlarge.usd,
  startupSeconds: 600,
  teardownSeconds: 60,
  clusterBytesPerSecond: 16 * 1024 ** 2,
  terminateAfterSeconds: 6 * 3600,
};

/** The same cluster on AWS's template's m3.xlarge, for comparison. */
export const M3_CLUSTER: ClusterModel = {
  ...M5_CLUSTER,
  ec2PerHour: PRICES.ec2M3Xlarge.usd,
  emrPerHour: PRICES.emrM3Xlarge.usd,
};

/** emr-dynamodb-tools' assumption for on-demand tables (awslabs/emr-dynamodb-connector). */
export const ON_DEMAND_ASSUMED_RCU = 40_000;
/** One read capacity unit reads two 4 KB items a second, eventually consistent (DynamoDB pricing, key terms). */
const BYTES_PER_RCU_SECOND = 2 * 4096;

/** Seconds as EMR and EC2 bill them: per second, at least one minute. */
export function billedSeconds(seconds: number): number {
  return Math.max(60, Math.ceil(seconds));
}

export interface DataPipelineNight {
  exportSeconds: number;
  billedSeconds: number;
  limitedBy: 'table read capacity' | 'cluster';
  /** The run would outlast terminateAfter: the cluster is killed and the backup does not finish. */
  exceedsTerminateAfter: boolean;
  activity: number;
  cluster: number;
  /** On-demand tables pay for the export's reads; provisioned tables spend capacity they pay for anyway. */
  reads: number;
  total: number;
}

export function dataPipelineNight(
  table: TableNight,
  cluster: ClusterModel = M5_CLUSTER,
  prices: Prices = PRICES,
): DataPipelineNight {
  assertTable(table);
  const bytes = table.sizeGb * GiB;
  const rcu = table.capacity.mode === 'on-demand' ? ON_DEMAND_ASSUMED_RCU : table.capacity.readCapacityUnits;
  const tableRate = rcu * table.readThroughputRatio * BYTES_PER_RCU_SECOND;
  const rate = Math.min(tableRate, cluster.clusterBytesPerSecond);
  const exportSeconds = bytes / rate;
  const billed = billedSeconds(cluster.startupSeconds + exportSeconds + cluster.teardownSeconds);
  const clusterCost = (cluster.instances * (cluster.ec2PerHour + cluster.emrPerHour) * billed) / 3600;
  const readUnits = table.capacity.mode === 'on-demand' ? (bytes / 4096) * 0.5 : 0;
  const activity = prices.dataPipelineActivity.usd / DAYS_A_MONTH;
  const reads = readUnits * prices.onDemandReadRequestUnit.usd;
  return {
    exportSeconds,
    billedSeconds: billed,
    limitedBy: tableRate < cluster.clusterBytesPerSecond ? 'table read capacity' : 'cluster',
    exceedsTerminateAfter: cluster.startupSeconds + exportSeconds > cluster.terminateAfterSeconds,
    activity,
    cluster: clusterCost,
    reads,
    total: activity + clusterCost + reads,
  };
}

export interface NativeNight {
  export: number;
  /** A night's share of point-in-time recovery: nothing extra where the table has it on anyway. */
  pointInTimeRecovery: number;
  total: number;
}

export function nativeNight(
  table: Pick<TableNight, 'sizeGb'>,
  options: { pitrAlreadyOn?: boolean } = {},
  prices: Prices = PRICES,
): NativeNight {
  if (!(table.sizeGb > 0)) throw new RangeError(`sizeGb must be above 0, got ${table.sizeGb}`);
  const exportCost = table.sizeGb * prices.exportToS3.usd;
  const pitr = options.pitrAlreadyOn === true ? 0 : (table.sizeGb * prices.pointInTimeRecovery.usd) / DAYS_A_MONTH;
  return { export: exportCost, pointInTimeRecovery: pitr, total: exportCost + pitr };
}

function assertTable(table: TableNight): void {
  if (!(table.sizeGb > 0)) throw new RangeError(`sizeGb must be above 0, got ${table.sizeGb}`);
  if (!(table.readThroughputRatio >= 0.1 && table.readThroughputRatio <= 1))
    throw new RangeError(`readThroughputRatio must be 0.1–1.0, got ${table.readThroughputRatio}`);
  if (table.capacity.mode === 'provisioned' && !(table.capacity.readCapacityUnits >= 1))
    throw new RangeError(`readCapacityUnits must be at least 1, got ${table.capacity.readCapacityUnits}`);
}
