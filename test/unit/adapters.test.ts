import {
  ActivatePipelineCommand,
  DataPipelineClient,
  DescribePipelinesCommand,
  ListPipelinesCommand,
  PutPipelineDefinitionCommand,
} from '@aws-sdk/client-data-pipeline';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RoleAssumer } from '../../lib/adapters/credentials';
import { PipelineApi } from '../../lib/backup-engines/datapipeline/api';
import { PipelineDefinitionError } from '../../lib/errors';

const sts = mockClient(STSClient);
const dp = mockClient(DataPipelineClient);
beforeEach(() => {
  sts.reset();
  dp.reset();
});

const credentials = (expiresAt: number) => ({
  Credentials: {
    AccessKeyId: 'AKIA',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date(expiresAt),
  },
});

describe('RoleAssumer', () => {
  it('uses the cached credentials until shortly before they expire', async () => {
    let now = 1_000_000;
    sts.on(AssumeRoleCommand).resolves(credentials(now + 3600_000));
    const roles = new RoleAssumer(new STSClient({}), { externalId: 'ext-1', now: () => now, refreshMarginMs: 300_000 });
    await roles.credentials('arn:aws:iam::111111111111:role/r');
    now += 3000_000; // 50 minutes later: still 10 minutes left
    await roles.credentials('arn:aws:iam::111111111111:role/r');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    now += 400_000; // under 5 minutes left: refresh
    await roles.credentials('arn:aws:iam::111111111111:role/r');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::111111111111:role/r',
      ExternalId: 'ext-1',
    });
  });

  it('shares one AssumeRole call among concurrent requests for the same role', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials(Date.now() + 3600_000));
    const roles = new RoleAssumer(new STSClient({}));
    await Promise.all([1, 2, 3].map(() => roles.credentials('arn:aws:iam::111111111111:role/r')));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it('does not cache a failure', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves(credentials(Date.now() + 3600_000));
    const roles = new RoleAssumer(new STSClient({}));
    await expect(roles.credentials('arn:aws:iam::111111111111:role/r')).rejects.toThrow('throttled');
    await expect(roles.credentials('arn:aws:iam::111111111111:role/r')).resolves.toMatchObject({ accessKeyId: 'AKIA' });
  });
});

describe('PipelineApi', () => {
  const api = () => new PipelineApi(new DataPipelineClient({ region: 'us-east-1' }));

  it('fails with the service’s validation errors when the definition is errored', async () => {
    dp.on(PutPipelineDefinitionCommand).resolves({
      errored: true,
      validationErrors: [{ id: 'EmrClusterForBackup', errors: ['invalid releaseLabel'] }],
    });
    const put = api().putDefinition('df-1', []);
    await expect(put).rejects.toThrow(PipelineDefinitionError);
    await expect(api().putDefinition('df-1', [])).rejects.toThrow(/EmrClusterForBackup: invalid releaseLabel/);
  });

  it('returns the service’s warnings for a definition that is accepted', async () => {
    dp.on(PutPipelineDefinitionCommand).resolves({
      errored: false,
      validationWarnings: [{ id: 'Default', warnings: ['deprecated'] }],
    });
    await expect(api().putDefinition('df-1', [])).resolves.toEqual(['Default: deprecated']);
  });

  it('describes at most 25 pipelines per call', async () => {
    dp.on(DescribePipelinesCommand).callsFake((input: { pipelineIds: string[] }) => ({
      pipelineDescriptionList: input.pipelineIds.map((id) => ({
        pipelineId: id,
        name: id,
        fields: [{ key: '@pipelineState', stringValue: 'SCHEDULED' }],
      })),
    }));
    const ids = Array.from({ length: 60 }, (_, i) => `df-${i}`);
    const described = await api().describe(ids);
    expect(described.map((d) => d.pipelineId)).toEqual(ids);
    expect(dp).toHaveReceivedCommandTimes(DescribePipelinesCommand, 3);
  });

  it('finds a pipeline by uniqueId across pages', async () => {
    dp.on(ListPipelinesCommand)
      .resolvesOnce({ pipelineIdList: [{ id: 'df-1', name: 'a' }], hasMoreResults: true, marker: 'm1' })
      .resolvesOnce({ pipelineIdList: [{ id: 'df-2', name: 'b' }], hasMoreResults: false });
    dp.on(DescribePipelinesCommand).resolves({
      pipelineDescriptionList: [
        { pipelineId: 'df-1', name: 'a', fields: [{ key: 'uniqueId', stringValue: 'other' }] },
        { pipelineId: 'df-2', name: 'b', fields: [{ key: 'uniqueId', stringValue: 'mine' }] },
      ],
    });
    await expect(api().findByUniqueId('mine')).resolves.toMatchObject({ pipelineId: 'df-2' });
    expect(dp).toHaveReceivedCommandWith(ListPipelinesCommand, { marker: 'm1' });
    expect(dp).not.toHaveReceivedCommand(ActivatePipelineCommand);
  });
});
