import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoGrantCatalog } from '../../lib/adapters/grant-catalog';
import { DynamoTableRegistry } from '../../lib/adapters/table-registry';
import { parseConfig } from '../../lib/config';
import { provisionSandbox } from '../../scripts/sandbox';
import { manualClock } from '../support/fakes/clock';
import { registryContract } from '../support/fakes/contract';
import { describeWithMoto, REGISTRY, useMoto } from '../support/integration';

// The same cases run against the in-memory fakes in test/unit/registry-fakes.test.ts.
describeWithMoto('the DynamoDB registry adapters (against moto_server)', () => {
  useMoto();
  beforeAll(async () => {
    await provisionSandbox(parseConfig(process.env), []);
  });

  registryContract(() => {
    const clock = manualClock(Date.now());
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    return {
      registry: new DynamoTableRegistry(doc, REGISTRY, clock.now),
      grants: new DynamoGrantCatalog(doc, REGISTRY, clock.now),
      advance: clock.advance,
    };
  });
});
