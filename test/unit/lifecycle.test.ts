import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type LifecycleEvent,
  NO_RECORD,
  step,
  TABLE_STATUSES,
  TRANSITIONS,
  transition,
} from '../../lib/domain/lifecycle';
import { IllegalTransitionError } from '../../lib/errors';
import { FakeTableRegistry } from '../support/fakes/table-registry';

const EVENTS = [...new Set(TRANSITIONS.map((t) => t.on))];
const edge = (from: string, to: string, on: string) => `${from} --> ${to} : ${on}`;

/** The transitions drawn in docs/lifecycle.md's Mermaid diagram. */
function diagram(): string[] {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'lifecycle.md'), 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => /^\s*(\[\*\]|\w+)\s*-->\s*(\w+)\s*:\s*(\w+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => edge(m[1] === '[*]' ? NO_RECORD : (m[1] as string), m[2] as string, m[3] as string));
}

describe('the table lifecycle', () => {
  it('is drawn in docs/lifecycle.md with exactly the transitions of its table, no more and no fewer', () => {
    const drawn = diagram();
    expect(drawn.length).toBeGreaterThan(0);
    expect([...drawn].sort()).toEqual(TRANSITIONS.map((t) => edge(t.from, t.to, t.on)).sort());
  });

  it('leads every event to one status whichever status it starts from, unless it leaves every status as it is', () => {
    for (const on of EVENTS) {
      const moves = TRANSITIONS.filter((t) => t.on === on);
      const stays = moves.every((t) => t.from === t.to);
      expect({ on, ok: stays || new Set(moves.map((t) => t.to)).size === 1 }).toEqual({ on, ok: true });
    }
  });

  it('refuses to write an event that leaves several statuses as they are (a stale event writes no status)', () => {
    expect(() => step('staleDelete')).toThrow(IllegalTransitionError);
    expect(() => step('staleCreate')).toThrow(IllegalTransitionError);
    expect(step('recreated')).toEqual({ on: 'recreated', from: ['ACTIVE'], to: 'ACTIVE' });
  });

  it('moves a table along each transition of its table', () => {
    for (const t of TRANSITIONS) expect(transition(t.from === NO_RECORD ? undefined : t.from, t.on)).toBe(t.to);
  });

  it.each([
    ['PENDING', 'activated'],
    ['ACTIVE', 'backupCreated'],
    ['OFFBOARDED', 'activated'],
    ['PENDING', 'staleCreate'],
    ['ACTIVE', 'reonboarded'],
    [undefined, 'offboarded'],
  ] as const)('refuses, with IllegalTransitionError, a move the table does not allow: %s on %s', (from, on) => {
    expect(() => transition(from, on)).toThrow(IllegalTransitionError);
    expect(() => transition(from, on)).toThrow(
      `the table lifecycle has no transition "${on}" from ${from ?? NO_RECORD}`,
    );
  });

  it('refuses every pair of status and event that is not in the table', () => {
    let refused = 0;
    for (const from of [undefined, ...TABLE_STATUSES]) {
      for (const on of EVENTS as LifecycleEvent[]) {
        const allowed = TRANSITIONS.some((t) => t.from === (from ?? NO_RECORD) && t.on === on);
        if (allowed) continue;
        expect(() => transition(from, on)).toThrow(IllegalTransitionError);
        refused++;
      }
    }
    expect(refused).toBe((TABLE_STATUSES.length + 1) * EVENTS.length - TRANSITIONS.length);
  });

  it('has the registry refuse a write along a transition the table does not allow, writing nothing', async () => {
    const registry = new FakeTableRegistry();
    const t = {
      accountId: '111111111111',
      region: 'us-east-1',
      tableName: 'orders',
      tableArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders',
    };
    await registry.claimTable(t, 'worker', 60_000);
    await expect(
      registry.updateClaimed(t, 'worker', { activatedAt: '2026-11-26T10:00:00Z' }, { transition: step('activated') }),
    ).rejects.toThrow(IllegalTransitionError);
    expect(registry.record(t)).toMatchObject({ status: 'PENDING' });
    expect(registry.record(t)?.activatedAt).toBeUndefined();
  });
});
