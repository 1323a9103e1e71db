import { parseTableEvent } from '../../lib/domain/event';
import { InvalidEventError } from '../../lib/errors';
import { loadEvent } from '../support/fixtures';

describe('parseTableEvent', () => {
  it('reads a CreateTable event into a table reference with its request tags', () => {
    const parsed = parseTableEvent(loadEvent('create-table'));
    expect(parsed).toEqual({
      kind: 'table-event',
      eventName: 'CreateTable',
      eventId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      eventTime: '2026-11-26T09:14:03Z',
      table: {
        accountId: '111111111111',
        region: 'us-east-1',
        tableName: 'orders',
        tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders',
      },
      tableId: '3c9f2a1e-7b4d-4e8a-9f0c-1a2b3c4d5e6f',
      tags: { team: 'checkout', env: 'production' },
      keySchema: [{ name: 'pk', type: 'S', keyType: 'HASH' }],
    });
  });

  it('builds the table ARN when the event carries none, as in AWS’s own sample', () => {
    const event = loadEvent('create-table');
    delete event.detail.responseElements.tableDescription.tableArn;
    event.account = event.detail.recipientAccountId = '222222222222';
    event.region = event.detail.awsRegion = 'eu-central-1';
    const parsed = parseTableEvent(event);
    expect(parsed.kind === 'table-event' && parsed.table.tableArn).toBe(
      'arn:aws:dynamodb:eu-central-1:222222222222:table/orders',
    );
  });

  it('reads a forwarded event, whose envelope keeps the source account and region, as the source account’s', () => {
    const event = loadEvent('create-table');
    event.account = event.detail.recipientAccountId = '222222222222';
    delete event.detail.responseElements.tableDescription.tableArn;
    const parsed = parseTableEvent(event);
    expect(parsed.kind === 'table-event' && parsed.table.accountId).toBe('222222222222');
  });

  it('reads the table’s incarnation (tableId) from a DeleteTable as from a CreateTable', () => {
    const parsed = parseTableEvent(loadEvent('delete-table'));
    expect(parsed).toMatchObject({
      kind: 'table-event',
      eventName: 'DeleteTable',
      tableId: '3c9f2a1e-7b4d-4e8a-9f0c-1a2b3c4d5e6f',
    });
  });

  it('reads an event without a tableId (AWS’s 2015 sample) as one of an unknown incarnation', () => {
    const event = loadEvent('delete-table');
    delete event.detail.responseElements.tableDescription.tableId;
    const parsed = parseTableEvent(event);
    expect(parsed.kind === 'table-event' && parsed.tableId).toBeUndefined();
  });

  it('accepts an envelope without account, region or time, and checks what is there', () => {
    const event = loadEvent('create-table');
    delete event.account;
    delete event.region;
    delete event.time;
    expect(parseTableEvent(event)).toMatchObject({ kind: 'table-event' });
  });

  it('returns a failed call as such, so it can be ignored', () => {
    expect(parseTableEvent(loadEvent('create-table-failed'))).toMatchObject({
      kind: 'failed-call',
      eventName: 'CreateTable',
      errorCode: 'ResourceInUseException',
    });
  });

  it('reads a DeleteTable event without tags', () => {
    expect(parseTableEvent(loadEvent('delete-table'))).toMatchObject({
      kind: 'table-event',
      eventName: 'DeleteTable',
      tags: {},
    });
  });

  it('returns other DynamoDB calls as other-call', () => {
    const event = loadEvent('create-table');
    event.detail.eventName = 'UpdateTable';
    expect(parseTableEvent(event)).toMatchObject({ kind: 'other-call', eventName: 'UpdateTable' });
  });

  it('accepts tags written with capitalised keys', () => {
    const event = loadEvent('create-table');
    event.detail.requestParameters.tags = [{ Key: 'ddb-backup', Value: 'off' }];
    const parsed = parseTableEvent(event);
    expect(parsed.kind === 'table-event' && parsed.tags).toEqual({ 'ddb-backup': 'off' });
  });

  it('rejects an ARN in the response that names another table', () => {
    const event = loadEvent('create-table');
    event.detail.responseElements.tableDescription.tableArn = 'arn:aws:dynamodb:us-east-1:111111111111:table/other';
    expect(() => parseTableEvent(event)).toThrow(
      /does not match arn:aws:dynamodb:us-east-1:111111111111:table\/orders/,
    );
  });

  const bad: Array<[string, (e: Record<string, any>) => unknown, RegExp]> = [
    ['a non-object', () => 'CreateTable', /event must be a JSON object, got string/],
    ['an array', () => [1, 2], /got an array/],
    ['null', () => null, /got null/],
    [
      'a wrong source',
      (e) => {
        e.source = 'aws.s3';
        return e;
      },
      /source is "aws.s3", expected "aws.dynamodb"/,
    ],
    [
      'a wrong detail-type',
      (e) => {
        e['detail-type'] = 'Scheduled Event';
        return e;
      },
      /detail-type is "Scheduled Event"/,
    ],
    [
      'a missing detail',
      (e) => {
        delete e.detail;
        return e;
      },
      /detail is missing/,
    ],
    [
      'a detail that is a string',
      (e) => {
        e.detail = 'x';
        return e;
      },
      /detail must be an object, got string/,
    ],
    [
      'a wrong eventSource',
      (e) => {
        e.detail.eventSource = 's3.amazonaws.com';
        return e;
      },
      /detail.eventSource is "s3.amazonaws.com"/,
    ],
    [
      'a missing eventName',
      (e) => {
        delete e.detail.eventName;
        return e;
      },
      /detail.eventName is missing/,
    ],
    [
      'an account id that is not 12 digits',
      (e) => {
        e.detail.recipientAccountId = '12345';
        return e;
      },
      /"12345" is not a 12-digit account id/,
    ],
    [
      'an unknown region',
      (e) => {
        e.detail.awsRegion = 'mars-north-1';
        return e;
      },
      /"mars-north-1" is not a known AWS region name/,
    ],
    [
      'a missing table name',
      (e) => {
        delete e.detail.requestParameters.tableName;
        return e;
      },
      /tableName is missing/,
    ],
    [
      'a table name with a space',
      (e) => {
        e.detail.requestParameters.tableName = 'my table';
        return e;
      },
      /not a valid DynamoDB table name/,
    ],
    [
      'an over-long table name',
      (e) => {
        e.detail.requestParameters.tableName = 'a'.repeat(256);
        return e;
      },
      /not a valid DynamoDB table name/,
    ],
    [
      'too many tags',
      (e) => {
        e.detail.requestParameters.tags = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
        return e;
      },
      /51 tags; DynamoDB allows at most 50/,
    ],
    [
      'an over-long tag value',
      (e) => {
        e.detail.requestParameters.tags = [{ key: 'k', value: 'v'.repeat(257) }];
        return e;
      },
      /value is 257 characters; the limit is 256/,
    ],
    [
      'tags that are not a list',
      (e) => {
        e.detail.requestParameters.tags = 'team=x';
        return e;
      },
      /tags must be a list/,
    ],
    [
      'an event larger than any CloudTrail record',
      (e) => {
        e.detail.padding = 'x'.repeat(300 * 1024);
        return e;
      },
      /larger than any CloudTrail record/,
    ],
    [
      'an envelope account other than the record’s',
      (e) => {
        e.account = '999999999999';
        return e;
      },
      /account "999999999999" does not match detail.recipientAccountId "111111111111"/,
    ],
    [
      'an envelope region other than the record’s',
      (e) => {
        e.region = 'eu-west-1';
        return e;
      },
      /region "eu-west-1" does not match detail.awsRegion "us-east-1"/,
    ],
    [
      'a failed call whose envelope names another account',
      () => Object.assign(loadEvent('create-table-failed'), { account: '222222222222' }),
      /account "222222222222" does not match detail.recipientAccountId/,
    ],
    [
      'an eventTime that is not a timestamp',
      (e) => {
        e.detail.eventTime = 'yesterday';
        return e;
      },
      /detail.eventTime "yesterday" is not a UTC timestamp/,
    ],
    [
      'an eventTime on a day that does not exist',
      (e) => {
        e.detail.eventTime = '2026-02-30T09:14:03Z';
        return e;
      },
      /detail.eventTime "2026-02-30T09:14:03Z" is not a UTC timestamp/,
    ],
    [
      'an eventTime without its zone',
      (e) => {
        e.detail.eventTime = '2026-11-26T09:14:03';
        return e;
      },
      /detail.eventTime "2026-11-26T09:14:03" is not a UTC timestamp/,
    ],
    [
      'an envelope time that is not a timestamp',
      (e) => {
        e.time = '2026-11-26T25:00:00Z';
        return e;
      },
      /^time "2026-11-26T25:00:00Z" is not a UTC timestamp/,
    ],
    [
      'a tableId that is not one',
      (e) => {
        e.detail.responseElements.tableDescription.tableId = '../etc';
        return e;
      },
      /tableId "..\/etc" is not a DynamoDB table id/,
    ],
  ];
  it.each(bad)('rejects %s with an error naming the problem', (_name, mutate, message) => {
    const input = mutate(loadEvent('create-table'));
    expect(() => parseTableEvent(input)).toThrow(InvalidEventError);
    expect(() => parseTableEvent(input)).toThrow(message);
  });
});
