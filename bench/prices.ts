/**
 * Every price the cost model (bench/cost.ts) uses, in one place: us-east-1, on-demand, USD.
 *
 * This machine has no internet: each price was looked for in the stored copy of public pages (the search library
 * of these sessions) on 2026-11-27. `evidence` says what was found there — an AWS page, a third-party page quoting
 * the price, or nothing, in which case the figure is an ASSUMPTION (the price as last published by AWS to the
 * author's knowledge) and says so. Check each against its `source` before quoting a figure this model prints.
 */

export type Evidence = 'aws-page' | 'third-party-page' | 'assumption';

export interface Price {
  usd: number;
  unit: string;
  source: string;
  evidence: Evidence;
  note?: string;
}

export const PRICES_REGION = 'us-east-1';
export const PRICES_AS_STORED_ON = '2026-11-27';

export const PRICES = {
  dataPipelineActivity: {
    usd: 0.6,
    unit: 'per low-frequency activity running on AWS, per month (a daily pipeline is low frequency)',
    source: 'https://aws.amazon.com/datapipeline/pricing/',
    evidence: 'assumption',
    note: 'not found in the stored pages; the export pipeline has one activity (TableBackupActivity)',
  },
  ec2M5Xlarge: {
    usd: 0.192,
    unit: 'per instance-hour, Linux on-demand, m5.xlarge',
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    evidence: 'third-party-page',
    note: 'quoted by several stored third-party pages (“m5.xlarge $0.192/hr … us-east-1 on-demand”); no AWS page found',
  },
  emrM5Xlarge: {
    usd: 0.048,
    unit: 'per instance-hour, Amazon EMR charge on top of EC2, m5.xlarge',
    source: 'https://aws.amazon.com/emr/pricing/',
    evidence: 'assumption',
    note: 'not found in the stored pages',
  },
  ec2M3Xlarge: {
    usd: 0.266,
    unit: 'per instance-hour, Linux on-demand, m3.xlarge (previous generation: the old default)',
    source: 'https://aws.amazon.com/ec2/previous-generation/',
    evidence: 'assumption',
    note: 'not found in the stored pages',
  },
  emrM3Xlarge: {
    usd: 0.07,
    unit: 'per instance-hour, Amazon EMR charge on top of EC2, m3.xlarge',
    source: 'https://aws.amazon.com/emr/pricing/',
    evidence: 'assumption',
    note: 'not found in the stored pages',
  },
  onDemandReadRequestUnit: {
    usd: 0.125 / 1_000_000,
    unit: 'per read request unit, on-demand table (an eventually consistent read of up to 4 KB is half a unit)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    evidence: 'assumption',
    note: 'the stored AWS page gives the units (“an eventually consistent read request requires one-half read request unit”), not the price',
  },
  exportToS3: {
    usd: 0.1,
    unit: 'per GB of table size, full export to S3',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    evidence: 'assumption',
    note: 'not found in the stored pages',
  },
  pointInTimeRecovery: {
    usd: 0.2,
    unit: 'per GB-month of table size, continuous backups (PITR)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    evidence: 'third-party-page',
    note: 'stored third-party page finops.com.py/services/dynamodb/backups: “Charged based on table size: $0.20 per GB-month”',
  },
} as const satisfies Record<string, Price>;

export type Prices = { readonly [K in keyof typeof PRICES]: Price };
