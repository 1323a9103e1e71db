import { GetBucketPolicyCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET } from './integration';

/**
 * moto_server speaks plain HTTP where every SDK request to S3 in AWS goes over TLS, and moto applies the bucket
 * policy's TLS-only deny to plain-HTTP object requests: the deny is taken out of the policy the onboarding wrote
 * (the grants stay as written), so that object reads and writes over moto are judged by the grants. (As
 * test/integration/drill.test.ts does.)
 */
export async function withoutTlsDeny(s3: S3Client): Promise<void> {
  const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}') as {
    Statement: Array<{ Condition?: { Bool?: Record<string, string> } }>;
  };
  policy.Statement = policy.Statement.filter((st) => st.Condition?.Bool?.['aws:SecureTransport'] !== 'false');
  await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
}

/**
 * Runs `work` with the bucket policy's conditional Deny statements taken out, then puts the policy back as it was.
 * moto 5.2.1 (moto/iam/access_control.py IAMPolicyStatement.is_action_permitted) answers DENIED for any statement
 * whose Condition it cannot match — and it is given no condition values for an object request — where IAM's
 * evaluation logic does not apply a statement whose condition does not match
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): without this, every
 * PutObject from a source account is refused by the SSE-C / encryption / storage-class denies it does not trip.
 */
export async function withConditionalDeniesLifted<T>(s3: S3Client, work: () => Promise<T>): Promise<T> {
  const text = (await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '{}';
  const policy = JSON.parse(text) as { Statement: Array<{ Effect?: string; Condition?: unknown }> };
  policy.Statement = policy.Statement.filter((st) => st.Effect !== 'Deny' || st.Condition === undefined);
  await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
  try {
    return await work();
  } finally {
    await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: text }));
  }
}
