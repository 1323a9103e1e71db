import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/**
 * Assumes roles and keeps their credentials until shortly before they expire, so that warm
 * invocations make no STS call. Concurrent requests for the same role share one call.
 */
export class RoleAssumer {
  private readonly cache = new Map<string, Promise<AwsCredentialIdentity>>();

  constructor(
    private readonly sts: STSClient,
    private readonly options: {
      externalId?: string;
      sessionName?: string;
      /** Refresh this long before expiry. */
      refreshMarginMs?: number;
      durationSeconds?: number;
      now?: () => number;
    } = {},
  ) {}

  credentials(roleArn: string): Promise<AwsCredentialIdentity> {
    const now = (this.options.now ?? Date.now)();
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    const cached = this.cache.get(roleArn);
    if (cached !== undefined) {
      return cached.then((c) => (c.expiration !== undefined && c.expiration.getTime() - margin <= now ? this.refresh(roleArn) : c));
    }
    return this.refresh(roleArn);
  }

  provider(roleArn: string): AwsCredentialIdentityProvider {
    return () => this.credentials(roleArn);
  }

  private refresh(roleArn: string): Promise<AwsCredentialIdentity> {
    const pending = this.assume(roleArn);
    this.cache.set(roleArn, pending);
    pending.catch(() => {
      if (this.cache.get(roleArn) === pending) this.cache.delete(roleArn);
    });
    return pending;
  }

  private async assume(roleArn: string): Promise<AwsCredentialIdentity> {
    const out = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: this.options.sessionName ?? 'ddb-backup-orchestrator',
        ExternalId: this.options.externalId,
        DurationSeconds: this.options.durationSeconds ?? 3600,
      }),
    );
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }
}
