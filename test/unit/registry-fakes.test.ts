import { manualClock } from '../support/fakes/clock';
import { registryContract } from '../support/fakes/contract';
import { FakeGrantCatalog } from '../support/fakes/grant-catalog';
import { FakeTableRegistry } from '../support/fakes/table-registry';

// The same cases run against the DynamoDB adapters on moto in test/integration/registry.test.ts.
describe('the in-memory registry fakes keep the DynamoDB adapters’ conditions', () => {
  registryContract(() => {
    const clock = manualClock();
    return {
      registry: new FakeTableRegistry(clock.now),
      grants: new FakeGrantCatalog(clock.now),
      advance: clock.advance,
    };
  });
});
