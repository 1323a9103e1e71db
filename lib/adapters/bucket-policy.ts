import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

type S3Module = typeof import('./s3-sdk');
let s3Module: S3Module | undefined;
/**
 * The S3 client is loaded on first use: only the grant of a new account needs it, and it is the
 * largest of the SDK clients, so loading it lazily keeps it off every cold start.
 */
function s3(): S3Module {
  // biome-ignore lint: a deliberate lazy require (see above)
  s3Module ??= require('./s3-sdk') as S3Module;
  return s3Module;
}

/** Reads and writes the backup bucket's policy as text, and lists its keys (through the backup-account role). */
export interface BucketPolicyStore {
  /** The policy text, or undefined when the bucket has no policy. */
  get(): Promise<string | undefined>;
  put(policy: string): Promise<void>;
  /** Fetches credentials ahead of the first call, so that it can overlap other work. */
  warm?(): Promise<void>;
}

export class S3BucketPolicyStore implements BucketPolicyStore {
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
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new (s3().ListObjectsV2Command)({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }
}
