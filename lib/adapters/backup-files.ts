import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { BackupFiles } from '../ports/drill';

type S3Module = typeof import('./s3-sdk');
let s3Module: S3Module | undefined;
/** Loaded on first use, as in bucket-policy.ts: only the drill reads backup files. */
function s3(): S3Module {
  s3Module ??= require('./s3-sdk') as S3Module;
  return s3Module;
}

/** A source account's prefix of the backup bucket, read with that account's drill role. */
export class S3BackupFiles implements BackupFiles {
  private s3Client?: S3Client;

  constructor(
    private readonly config: S3ClientConfig,
    readonly bucket: string,
  ) {}

  private get client(): S3Client {
    this.s3Client ??= new (s3().S3Client)(this.config);
    return this.s3Client;
  }

  async read(key: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(
        new (s3().GetObjectCommand)({
          Bucket: this.bucket,
          Key: key,
          ...(maxBytes === undefined ? {} : { Range: `bytes=0-${maxBytes - 1}` }),
        }),
      );
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchKey') return undefined;
      throw e;
    }
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of s3().paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      if (page.IsTruncated !== true) break;
    }
    return keys;
  }
}
