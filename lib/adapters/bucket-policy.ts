import { GetBucketPolicyCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';

/** Reads and writes the backup bucket's policy as text (through the backup-account role). */
export interface BucketPolicyStore {
  /** The policy text, or undefined when the bucket has no policy. */
  get(): Promise<string | undefined>;
  put(policy: string): Promise<void>;
  /** Fetches credentials ahead of the first call, so that it can overlap other work. */
  warm?(): Promise<void>;
}

export class S3BucketPolicyStore implements BucketPolicyStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly warmUp?: () => Promise<unknown>,
  ) {}

  async get(): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetBucketPolicyCommand({ Bucket: this.bucket }));
      return out.Policy;
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchBucketPolicy') return undefined;
      throw e;
    }
  }

  async put(policy: string): Promise<void> {
    await this.client.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: policy }));
  }

  async warm(): Promise<void> {
    await this.warmUp?.();
  }
}
