import { ConfigError } from '../../errors';

/** Regions with a Data Pipeline endpoint (aws-facts §1). */
export const DATA_PIPELINE_REGIONS: readonly string[] = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-northeast-1',
  'ap-southeast-2',
];

/**
 * Where the table's pipeline lives: the table's own region when Data Pipeline runs there,
 * otherwise the configured fallback. Returns undefined when there is none.
 */
export function pipelineRegionFor(tableRegion: string, fallback: string | undefined): string | undefined {
  return DATA_PIPELINE_REGIONS.includes(tableRegion) ? tableRegion : fallback;
}

export function noPipelineRegion(tableRegion: string): string {
  return `region ${tableRegion} has no Data Pipeline endpoint and PIPELINE_REGION is not set`;
}

/** pipelineRegionFor, or a ConfigError saying why there is none. */
export function requirePipelineRegion(tableRegion: string, fallback: string | undefined): string {
  const region = pipelineRegionFor(tableRegion, fallback);
  if (region === undefined) throw new ConfigError(noPipelineRegion(tableRegion));
  return region;
}
