import { AsyncLocalStorage } from 'node:async_hooks';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** Sessions kept at most: beyond this the oldest is dropped (an invocation's sessions are of no use after it). */
const MAX_SESSIONS = 64;

/**
 * Assumes roles and keeps their credentials until shortly before they expire. Concurrent requests for the same
 * role and session share one call.
 *
 * Session names say who acted in the other account's CloudTrail. Outside an invocation a role is assumed as
 * `sessionName()` with no invocation (e.g. `ddb-backup-onboard`), cached for the container's life. Inside
 * `inInvocation(name, …)` every role is assumed afresh as that session (`ddb-backup-onboard-<requestId>`), so that
 * each CloudTrail entry names the one request that made the call, never an earlier one whose credentials a warm
 * container kept. The cost is one AssumeRole per role an invocation uses, which onboarding overlaps with its first
 * registry call (its round trips stay those of cold credentials).
 */
export class RoleAssumer {
  private readonly cache = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly invocation = new AsyncLocalStorage<string>();

  constructor(
    private readonly sts: STSClient,
    private readonly options: {
      externalId?: string;
      /** The session name outside an invocation. */
      sessionName?: string;
      /** Refresh this long before expiry. */
      refreshMarginMs?: number;
      durationSeconds?: number;
      now?: () => number;
    } = {},
  ) {}

  /** Runs `work` with every role it assumes in a session of its own named `session`. */
  inInvocation<T>(session: string, work: () => Promise<T>): Promise<T> {
    return this.invocation.run(session, work);
  }

  /** The session name roles are assumed with here and now. */
  sessionName(): string {
    return this.invocation.getStore() ?? this.options.sessionName ?? 'ddb-backup-orchestrator';
  }

  credentials(roleArn: string): Promise<AwsCredentialIdentity> {
    const session = this.sessionName();
    const key = `${roleArn} ${session}`;
    const now = (this.options.now ?? Date.now)();
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      return cached.then((c) =>
        c.expiration !== undefined && c.expiration.getTime() - margin <= now ? this.refresh(key, roleArn, session) : c,
      );
    }
    return this.refresh(key, roleArn, session);
  }

  /** A provider that resolves in the session of the moment it is called. */
  provider(roleArn: string): AwsCredentialIdentityProvider {
    return () => this.credentials(roleArn);
  }

  private refresh(key: string, roleArn: string, session: string): Promise<AwsCredentialIdentity> {
    const pending = this.assume(roleArn, session);
    this.cache.delete(key);
    this.cache.set(key, pending);
    if (this.cache.size > MAX_SESSIONS) this.cache.delete(this.cache.keys().next().value as string);
    pending.catch(() => {
      if (this.cache.get(key) === pending) this.cache.delete(key);
    });
    return pending;
  }

  private async assume(roleArn: string, session: string): Promise<AwsCredentialIdentity> {
    const out = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: session,
        ExternalId: this.options.externalId,
        DurationSeconds: this.options.durationSeconds ?? 3600,
      }),
    );
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }
}
