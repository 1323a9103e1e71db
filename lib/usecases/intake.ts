import {
  isTableCreation,
  type ParsedEvent,
  parseTableEvent,
  TABLE_CREATION_EVENTS,
  type TableEvent,
} from '../domain/event';
import type { Ignore } from '../domain/selection';
import { InvalidEventError } from '../errors';
import { MetricName, type Telemetry } from '../observability';

const creationCalls = `a call that creates a table (${TABLE_CREATION_EVENTS.join(', ')})`;

export interface Ignored {
  outcome: 'ignored';
  reason: Ignore['reason'];
  message: string;
  eventId: string;
}

/**
 * The common front of the event-driven functions: parse (a malformed event is counted and
 * rethrown), tag the invocation's log lines, and turn failed calls and calls of another API
 * into logged, counted ignores. Returns the table event to act on, or the ignore to return.
 * `CreateTable` expects any call that creates a table (CreateTable, ImportTable and the two
 * restores: TABLE_CREATION_EVENTS); `DeleteTable` expects DeleteTable.
 */
export function intake(
  telemetry: Telemetry,
  event: unknown,
  expected: 'CreateTable' | 'DeleteTable',
): { event: TableEvent; ignore: (reason: Ignore['reason'], message: string) => Ignored } | Ignored {
  let parsed: ParsedEvent;
  try {
    parsed = parseTableEvent(event);
  } catch (e) {
    // Logged (once, with the function's failure metric) by the handler's middleware.
    if (e instanceof InvalidEventError) telemetry.count(MetricName.EventRejected);
    throw e;
  }
  const eventId = parsed.eventId;
  telemetry.appendKeys(
    parsed.kind === 'table-event'
      ? { eventId, account: parsed.table.accountId, region: parsed.table.region, table: parsed.table.tableName }
      : { eventId },
  );
  const ignore = (reason: Ignore['reason'], message: string): Ignored => {
    telemetry.count(MetricName.EventIgnored, { Reason: reason });
    telemetry.warn(`ignored event: ${message}`, { reason, eventId });
    return { outcome: 'ignored', reason, message, eventId };
  };
  if (parsed.kind === 'failed-call') {
    return ignore(
      'FailedCall',
      `${parsed.eventName} failed with ${parsed.errorCode}${parsed.errorMessage ? `: ${parsed.errorMessage}` : ''}`,
    );
  }
  const wanted = expected === 'CreateTable' ? isTableCreation : (name: string) => name === 'DeleteTable';
  if (parsed.kind === 'other-call' || !wanted(parsed.eventName)) {
    return ignore(
      expected === 'CreateTable' ? 'NotCreateTable' : 'NotDeleteTable',
      `event is ${parsed.eventName}, not ${expected === 'CreateTable' ? creationCalls : expected}`,
    );
  }
  return { event: parsed, ignore };
}
