import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { StoredObject } from '../domain/freshness';
import type { BackupBucket, BucketPolicyStore, ObjectVersion } from '../ports/bucket-policy-store';

type S3Module = typeof import('./s3-sdk');
let s3Module: S3Module | undefined;
/**
 * The S3 client is loaded on first use: only the grant of a new account needs it, and it is the
 * largest of the SDK clients, so loading it lazily keeps it off every cold start.
 */
function s3(): S3Module {
  s3Module ??= require('./s3-sdk') as S3Module;
  return s3Module;
}

/** Reads and writes the backup bucket's policy as text, and lists its keys (through the backup-account role). */
export class S3BucketPolicyStore implements BucketPolicyStore, BackupBucket {
  private s3Client?: S3Client;

  constructor(
    private readonly config: S3ClientConfig,
    readonly bucket: string,
    private readonly warmUp?: () => Promise<unknown>,
  ) {}

  private get client(): S3Client {
    this.s3Client ??= new (s3().S3Client)(this.config);
    return this.s3Client;
  }

  async get(): Promise<string | undefined> {
    try {
      const out = await this.client.send(new (s3().GetBucketPolicyCommand)({ Bucket: this.bucket }));
      return out.Policy;
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchBucketPolicy') return undefined;
      throw e;
    }
  }

  async put(policy: string): Promise<void> {
    await this.client.send(new (s3().PutBucketPolicyCommand)({ Bucket: this.bucket, Policy: policy }));
  }

  async warm(): Promise<void> {
    await this.warmUp?.();
  }

  /** Every key under `prefix` (paginated); the backup role may list only below an account prefix. */
  async listKeys(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((o) => o.key);
  }

  /** Every object under `prefix` with its size (ListObjectsV2, 1,000 a page). */
  async listObjects(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for await (const page of s3().paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? [])
        if (o.Key !== undefined) objects.push({ key: o.Key, ...(o.Size !== undefined ? { size: o.Size } : {}) });
      if (page.IsTruncated !== true) break; // as S3 documents: a page that is not truncated is the last
    }
    return objects;
  }

  /** Every version and delete marker under `prefix` (ListObjectVersions, 1,000 a page, by its key and version markers). */
  async listVersions(prefix: string): Promise<ObjectVersion[]> {
    const versions: ObjectVersion[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(
        new (s3().ListObjectVersionsCommand)({ Bucket: this.bucket, Prefix: prefix, ...markers }),
      );
      for (const v of page.Versions ?? [])
        if (v.Key !== undefined)
          versions.push({
            key: v.Key,
            ...(v.VersionId === undefined ? {} : { versionId: v.VersionId }),
            deleteMarker: false,
          });
      for (const m of page.DeleteMarkers ?? [])
        if (m.Key !== undefined)
          versions.push({
            key: m.Key,
            ...(m.VersionId === undefined ? {} : { versionId: m.VersionId }),
            deleteMarker: true,
          });
      if (page.IsTruncated !== true) break;
      markers = {
        ...(page.NextKeyMarker === undefined ? {} : { KeyMarker: page.NextKeyMarker }),
        ...(page.NextVersionIdMarker === undefined ? {} : { VersionIdMarker: page.NextVersionIdMarker }),
      };
    }
    return versions;
  }

  /** The object's current bytes, or undefined when there is no such key. */
  async read(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(new (s3().GetObjectCommand)({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey') return undefined;
      throw e;
    }
  }
}
