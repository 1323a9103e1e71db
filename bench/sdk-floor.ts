/**
 * Cold-start floors for `npm run bench`: handlers made of the AWS SDK and nothing else — no
 * Powertools, middy, zod or product code — bundled the same way as the functions. `one-call` is
 * the least any handler using the SDK can cost (one DynamoDB client, one call); `onboard-calls`
 * makes the calls onboarding's already-onboarded path makes (two conditional DynamoDB writes
 * that fail their condition, two AssumeRole, all at once), with the same client settings.
 * Nothing is written: the conditions never hold.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CLIENT_SETTINGS } from '../lib/adapters/client-settings';

const table = process.env.REGISTRY_TABLE as string;
const ddb = new DynamoDBClient(CLIENT_SETTINGS);

const conditionalWrite = (pk: string) =>
  ddb
    .send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET #a = :a',
        ConditionExpression: 'attribute_exists(#never)',
        ExpressionAttributeNames: { '#a': 'benchFloor', '#never': 'benchFloorNever' },
        ExpressionAttributeValues: { ':a': { S: 'x' } },
      }),
    )
    .catch((e: Error) => {
      if (e.name !== 'ConditionalCheckFailedException') throw e;
    });

export const oneCall = async () => {
  await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'BENCH#floor' } } }));
  return { outcome: 'sdk-floor' };
};

export const onboardCalls = async () => {
  const sts = new STSClient(CLIENT_SETTINGS);
  const account = (process.env.SOURCE_ACCOUNTS as string).split(',')[0];
  const assume = (roleArn: string) =>
    sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'bench-floor' }));
  await Promise.all([
    conditionalWrite('BENCH#floor-a'),
    conditionalWrite('BENCH#floor-b'),
    assume(`arn:aws:iam::${account}:role/${process.env.SOURCE_ROLE_NAME}`),
    assume(process.env.BACKUP_ROLE_ARN as string),
  ]);
  return { outcome: 'sdk-floor' };
};
