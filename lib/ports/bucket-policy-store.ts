import type { StoredObject } from '../domain/freshness';

/** Reads and writes the backup bucket's policy as text (through the backup-account role). Adapter: lib/adapters/bucket-policy.ts. */
export interface BucketPolicyStore {
  /** The policy text, or undefined when the bucket has no policy. */
  get(): Promise<string | undefined>;
  put(policy: string): Promise<void>;
  /** Fetches credentials ahead of the first call, so that it can overlap other work. */
  warm?(): Promise<void>;
}

/** Lists the backup bucket's keys (through the backup-account role, which may list only below an account prefix). */
export interface BackupBucket {
  /** Every key under `prefix`. */
  listKeys(prefix: string): Promise<string[]>;
  /** Every object under `prefix`, with its size. */
  listObjects(prefix: string): Promise<StoredObject[]>;
  /** Every version and delete marker under `prefix` (ListObjectVersions): what a restore checks an export was not altered with. */
  listVersions(prefix: string): Promise<ObjectVersion[]>;
  /** An object's bytes (its current version), or undefined when there is none: a restore reads an export's manifests. */
  read(key: string): Promise<Uint8Array | undefined>;
}

/** One version of an object, or a delete marker, as ListObjectVersions lists it. */
export interface ObjectVersion {
  key: string;
  versionId?: string;
  deleteMarker: boolean;
}
