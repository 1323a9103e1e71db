import { InvalidEventError } from '../../../lib/errors';
import { intake } from '../../../lib/usecases/intake';
import { loadEvent, tableEvent } from '../../support/fixtures';
import { recordingTelemetry } from '../../support/telemetry';

describe('intake of a CloudTrail event', () => {
  it('hands on a table event of the expected API, with the invocation’s log keys set', () => {
    const telemetry = recordingTelemetry();
    const taken = intake(telemetry, tableEvent('create-table', '111111111111', 'orders'), 'CreateTable');
    expect('event' in taken && taken.event.table).toMatchObject({ accountId: '111111111111', tableName: 'orders' });
    expect(telemetry.logs[0]).toEqual({
      level: 'keys',
      message: 'appendKeys',
      extra: {
        eventId: 'create-table-111111111111-orders',
        account: '111111111111',
        region: 'us-east-1',
        table: 'orders',
      },
    });
    expect(telemetry.metrics).toEqual([]);
  });

  it('turns a failed call into a counted, logged ignore', () => {
    const telemetry = recordingTelemetry();
    expect(intake(telemetry, loadEvent('create-table-failed'), 'CreateTable')).toMatchObject({
      outcome: 'ignored',
      reason: 'FailedCall',
      message: expect.stringMatching(/^CreateTable failed with ResourceInUseException/),
    });
    expect(telemetry.metrics).toEqual(['EventIgnored{Reason=FailedCall}']);
  });

  it('turns the other API into an ignore named after the one expected', () => {
    const telemetry = recordingTelemetry();
    expect(intake(telemetry, tableEvent('create-table', '111111111111', 'orders'), 'DeleteTable')).toMatchObject({
      reason: 'NotDeleteTable',
      message: 'event is CreateTable, not DeleteTable',
    });
  });

  it('counts and rethrows a malformed event', () => {
    const telemetry = recordingTelemetry();
    expect(() => intake(telemetry, { detail: {} }, 'CreateTable')).toThrow(InvalidEventError);
    expect(telemetry.metrics).toEqual(['EventRejected']);
    expect(telemetry.logs.filter((l) => l.level === 'error')).toEqual([]); // logged once, by the handler's middleware
  });
});
