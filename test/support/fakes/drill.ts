import type { JsonItem } from '../../../lib/domain/drill';
import type { Snapshot } from '../../../lib/domain/snapshots';
import type { KeyAttribute } from '../../../lib/domain/table-ref';
import { RestoreRefusedError } from '../../../lib/errors';
import type { BackupContents, ContentsQuery, PreparedRestore, RestoreRequest } from '../../../lib/ports/backup-engine';
import type { ScratchTables } from '../../../lib/ports/drill';

/** Scratch tables in memory: what a drill made, read and deleted, every call recorded. */
export class FakeScratchTables implements ScratchTables {
  readonly tables = new Map<string, { items: JsonItem[]; tags: Record<string, string>; keySchema?: KeyAttribute[] }>();
  readonly calls: string[] = [];
  failDelete?: Error;

  async describe(name: string) {
    this.calls.push(`describe ${name}`);
    return this.tables.has(name) ? { status: 'ACTIVE', tableArn: `arn:${name}` } : undefined;
  }
  async create(name: string, keySchema: readonly KeyAttribute[], tags: Record<string, string>) {
    this.calls.push(`create ${name}`);
    this.tables.set(name, { items: [], tags: { ...tags }, keySchema: [...keySchema] });
  }
  async count(name: string) {
    this.calls.push(`count ${name}`);
    return this.tables.get(name)?.items.length ?? 0;
  }
  async getItem(name: string, key: JsonItem) {
    const items = this.tables.get(name)?.items ?? [];
    return items.find((i) => Object.entries(key).every(([k, v]) => JSON.stringify(i[k]) === JSON.stringify(v)));
  }
  async tag(arn: string, tags: Record<string, string>) {
    this.calls.push(`tag ${arn}`);
    const t = this.tables.get(arn.replace(/^arn:aws:dynamodb:[^:]+:\d+:table\//, ''));
    if (t !== undefined) Object.assign(t.tags, tags);
  }
  async delete(name: string) {
    this.calls.push(`delete ${name}`);
    if (this.failDelete !== undefined) throw this.failDelete;
    return this.tables.delete(name);
  }
}

/**
 * The engine as a drill sees it: one snapshot per table (or none), a restore that copies the
 * snapshot's items into the scratch table (`restored` lets a test tamper with what arrives), and
 * its contents (`contents` undefined: an engine that tells none).
 */
export class FakeDrillEngine {
  snapshotsOf = new Map<string, Snapshot[]>();
  backup: JsonItem[] = [];
  /** What the restore writes (default: the backup). */
  restored?: JsonItem[];
  createsTarget = true;
  /** States the restore reports, one per look (the last repeats). */
  states: string[] = ['COMPLETED'];
  refuse?: string;
  tellsContents = true;
  failStart?: Error;
  readonly calls: string[] = [];

  constructor(private readonly scratch: FakeScratchTables) {}

  async snapshots({ table }: { table: { tableArn: string } }) {
    return { snapshots: this.snapshotsOf.get(table.tableArn) ?? [], incomplete: [] };
  }

  prepareRestore({ target, snapshot }: RestoreRequest): PreparedRestore {
    if (this.refuse !== undefined) throw new RestoreRefusedError(this.refuse);
    let looks = 0;
    return {
      region: target.region,
      createsTarget: this.createsTarget,
      find: async () => ({ kind: 'none' }),
      start: async () => {
        this.calls.push(`start ${target.tableName} from ${snapshot.snapshot}`);
        if (this.failStart !== undefined) throw this.failStart;
        const existing = this.scratch.tables.get(target.tableName);
        this.scratch.tables.set(target.tableName, {
          items: structuredClone(this.restored ?? this.backup),
          tags: existing?.tags ?? {},
        });
        return `import-${target.tableName}`;
      },
      state: async (id) => {
        this.calls.push(`state ${id}`);
        return this.states[Math.min(looks++, this.states.length - 1)];
      },
    };
  }

  async contents({ sampleSize }: ContentsQuery): Promise<BackupContents | undefined> {
    if (!this.tellsContents) return undefined;
    return { itemCount: this.backup.length, sample: this.backup.slice(0, sampleSize) };
  }
}
