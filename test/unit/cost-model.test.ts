import {
  billedSeconds,
  type ClusterModel,
  dataPipelineNight,
  M3_CLUSTER,
  M5_CLUSTER,
  nativeNight,
  ON_DEMAND_ASSUMED_RCU,
} from '../../bench/cost';
import { PRICES, type Prices } from '../../bench/prices';

/** Round prices, so that each expected figure can be worked out by hand. */
const prices: Prices = {
  ...PRICES,
  dataPipelineActivity: { ...PRICES.dataPipelineActivity, usd: 0.6 },
  onDemandReadRequestUnit: { ...PRICES.onDemandReadRequestUnit, usd: 1 / 1_000_000 },
  exportToS3: { ...PRICES.exportToS3, usd: 0.1 },
  pointInTimeRecovery: { ...PRICES.pointInTimeRecovery, usd: 0.3 },
};
const cluster: ClusterModel = {
  instances: 2,
  ec2PerHour: 0.2,
  emrPerHour: 0.05,
  startupSeconds: 600,
  teardownSeconds: 60,
  clusterBytesPerSecond: 16 * 1024 ** 2,
  terminateAfterSeconds: 6 * 3600,
};
const onDemand = { mode: 'on-demand' } as const;

describe('billedSeconds (EMR and EC2: per second, one minute at least)', () => {
  it.each([
    [0.5, 60],
    [59, 60],
    [60, 60],
    [60.2, 61],
    [3600, 3600],
  ])('bills %s s as %s s', (seconds, billed) => {
    expect(billedSeconds(seconds)).toBe(billed);
  });
});

describe('dataPipelineNight', () => {
  it('charges a thirtieth of the monthly activity fee, the cluster’s billed seconds and, for an on-demand table, its reads', () => {
    // 1 GiB at the cluster's 16 MiB/s: 64 s of export, 600 + 64 + 60 = 724 s billed on 2 × $0.25 an hour.
    const night = dataPipelineNight({ sizeGb: 1, capacity: onDemand, readThroughputRatio: 0.25 }, cluster, prices);
    expect(night.exportSeconds).toBeCloseTo(64, 6);
    expect(night.billedSeconds).toBe(724);
    expect(night.limitedBy).toBe('cluster');
    expect(night.activity).toBeCloseTo(0.02, 10);
    expect(night.cluster).toBeCloseTo((2 * 0.25 * 724) / 3600, 10);
    // 1 GiB / 4 KiB = 262,144 eventually consistent reads of half a unit each, at $1 a million units.
    expect(night.reads).toBeCloseTo(0.131072, 10);
    expect(night.total).toBeCloseTo(night.activity + night.cluster + night.reads, 12);
  });

  it('reads a provisioned table no faster than its capacity times the ratio, and spends no extra money on the reads', () => {
    // 1,000 RCU × 0.25 × 8 KiB/s = 2,000 KiB/s: 1 GiB in 524.288 s.
    const night = dataPipelineNight(
      { sizeGb: 1, capacity: { mode: 'provisioned', readCapacityUnits: 1000 }, readThroughputRatio: 0.25 },
      cluster,
      prices,
    );
    expect(night.limitedBy).toBe('table read capacity');
    expect(night.exportSeconds).toBeCloseTo(524.288, 6);
    expect(night.billedSeconds).toBe(Math.ceil(600 + 524.288 + 60));
    expect(night.reads).toBe(0);
  });

  it('reads faster with a higher ratio, until the cluster is the limit', () => {
    const provisioned = (ratio: number) =>
      dataPipelineNight(
        { sizeGb: 10, capacity: { mode: 'provisioned', readCapacityUnits: 1000 }, readThroughputRatio: ratio },
        cluster,
        prices,
      );
    expect(provisioned(0.5).exportSeconds).toBeCloseTo(provisioned(0.25).exportSeconds / 2, 6);
    expect(provisioned(1).limitedBy).toBe('table read capacity');
    const big = dataPipelineNight(
      { sizeGb: 10, capacity: { mode: 'provisioned', readCapacityUnits: 10_000 }, readThroughputRatio: 1 },
      cluster,
      prices,
    );
    expect(big.limitedBy).toBe('cluster');
    expect(big.exportSeconds).toBeCloseTo(640, 6);
  });

  it('assumes 40,000 read capacity units for an on-demand table, as emr-dynamodb-tools does', () => {
    expect(ON_DEMAND_ASSUMED_RCU).toBe(40_000);
    const slowCluster = { ...cluster, clusterBytesPerSecond: 1e12 };
    const night = dataPipelineNight({ sizeGb: 1, capacity: onDemand, readThroughputRatio: 0.1 }, slowCluster, prices);
    expect(night.exportSeconds).toBeCloseTo(1024 ** 3 / (40_000 * 0.1 * 8192), 6);
  });

  it('says when a run would outlast terminateAfter (the backup would be killed unfinished)', () => {
    const slow = {
      sizeGb: 100,
      capacity: { mode: 'provisioned', readCapacityUnits: 1000 },
      readThroughputRatio: 0.25,
    } as const;
    expect(dataPipelineNight(slow, cluster, prices).exceedsTerminateAfter).toBe(true);
    expect(dataPipelineNight({ ...slow, sizeGb: 1 }, cluster, prices).exceedsTerminateAfter).toBe(false);
  });

  it('costs more on the previous generation’s m3.xlarge than on m5.xlarge, for the same run', () => {
    const table = { sizeGb: 1, capacity: onDemand, readThroughputRatio: 0.25 } as const;
    expect(dataPipelineNight(table, M3_CLUSTER).cluster).toBeGreaterThan(dataPipelineNight(table, M5_CLUSTER).cluster);
  });

  it.each([
    [{ sizeGb: 0, capacity: onDemand, readThroughputRatio: 0.25 }, /sizeGb/],
    [{ sizeGb: 1, capacity: onDemand, readThroughputRatio: 0.05 }, /readThroughputRatio/],
    [
      { sizeGb: 1, capacity: { mode: 'provisioned', readCapacityUnits: 0 }, readThroughputRatio: 0.25 },
      /readCapacityUnits/,
    ],
  ] as const)('refuses a table it cannot model (%j)', (table, message) => {
    expect(() => dataPipelineNight(table, cluster, prices)).toThrow(message);
  });
});

describe('nativeNight', () => {
  it('charges the export per GB and a thirtieth of a month of point-in-time recovery', () => {
    const night = nativeNight({ sizeGb: 100 }, {}, prices);
    expect(night.export).toBeCloseTo(10, 10);
    expect(night.pointInTimeRecovery).toBeCloseTo(1, 10);
    expect(night.total).toBeCloseTo(11, 10);
  });

  it('adds nothing for point-in-time recovery where the table has it on anyway', () => {
    expect(nativeNight({ sizeGb: 100 }, { pitrAlreadyOn: true }, prices)).toEqual({
      export: 10,
      pointInTimeRecovery: 0,
      total: 10,
    });
  });

  it('grows linearly with the table, with no fixed part', () => {
    expect(nativeNight({ sizeGb: 2 }, {}, prices).total).toBeCloseTo(
      2 * nativeNight({ sizeGb: 1 }, {}, prices).total,
      12,
    );
    expect(() => nativeNight({ sizeGb: -1 })).toThrow(/sizeGb/);
  });
});

describe('the price file', () => {
  it('names a source URL and what backs each price, in one place', () => {
    for (const [name, p] of Object.entries(PRICES)) {
      expect({ name, https: p.source.startsWith('https://') }).toEqual({ name, https: true });
      expect(['aws-page', 'third-party-page', 'assumption']).toContain(p.evidence);
      expect(p.usd).toBeGreaterThan(0);
    }
  });
});
