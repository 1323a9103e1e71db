import type { StoredObject } from '../../../lib/domain/freshness';
import type { BackupBucket, BucketPolicyStore, ObjectVersion } from '../../../lib/ports/bucket-policy-store';

/**
 * The backup bucket in memory: its policy as JSON text, exactly as written (so an invalid policy
 * in place can be modelled, as S3's own PutBucketPolicy would never have let it be), and its keys.
 */
export class FakeBucketPolicyStore implements BucketPolicyStore, BackupBucket {
  /** Every policy written, in order. */
  readonly writes: string[] = [];
  reads = 0;
  /** Runs before each read returns (the read's number, from 1): a stall, or an edit made behind our back. */
  beforeRead?: (read: number) => Promise<void> | void;

  constructor(
    public text?: string,
    public keys: string[] = [],
  ) {}

  async get(): Promise<string | undefined> {
    this.reads++;
    const text = this.text;
    await this.beforeRead?.(this.reads);
    return text;
  }

  async put(policy: string): Promise<void> {
    this.writes.push(policy);
    this.text = policy;
  }

  /** Bytes of an object, by key (listObjects gives no size for a key not here). */
  readonly sizes = new Map<string, number>();
  /** Every listObjects / listKeys call, by prefix. */
  readonly listings: string[] = [];

  async listKeys(prefix: string): Promise<string[]> {
    this.listings.push(prefix);
    return this.keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async listObjects(prefix: string): Promise<StoredObject[]> {
    this.listings.push(prefix);
    return this.keys
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => (this.sizes.has(key) ? { key, size: this.sizes.get(key) as number } : { key }));
  }

  /** Objects' bytes, by key (a key here and not in `keys` is listed too). */
  readonly bodies = new Map<string, Uint8Array>();
  /** Versions beyond each key's one: overwritten versions and delete markers, by key. */
  readonly extraVersions = new Map<string, ObjectVersion[]>();

  async listVersions(prefix: string): Promise<ObjectVersion[]> {
    this.listings.push(prefix);
    const keys = [...new Set([...this.keys, ...this.bodies.keys()])].filter((k) => k.startsWith(prefix)).sort();
    return keys.flatMap((key) => [
      { key, versionId: 'v1', deleteMarker: false },
      ...(this.extraVersions.get(key) ?? []),
    ]);
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    return this.bodies.get(key);
  }
}
