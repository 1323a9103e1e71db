import { parseSnapshotsOption, pastRunFolders } from '../../scripts/sandbox';

describe('npm run sandbox:provision options', () => {
  it('seeds no snapshot unless asked', () => expect(parseSnapshotsOption([])).toBe(0));
  it('reads --snapshots N', () => expect(parseSnapshotsOption(['--snapshots', '3'])).toBe(3));
  it.each([['2.5'], ['31'], ['three'], ['']])('refuses --snapshots %s, naming the rule', (n) =>
    expect(parseSnapshotsOption(['--snapshots', n])).toBe(
      `--snapshots must be a whole number from 0 to 30, got "${n}"`,
    ),
  );
  it('refuses an unknown option', () =>
    expect(parseSnapshotsOption(['--snapshot', '3'])).toMatch(/Unknown option '--snapshot'/));
});

describe('the run folders of past nights', () => {
  it('counts tonight once its backup time has passed', () =>
    expect(pastRunFolders(new Date('2026-11-27T03:00:01Z'), { hour: 3, minute: 0 }, 2)).toEqual([
      '2026-11-27-03-00-00',
      '2026-11-26-03-00-00',
    ]));
  it('starts from last night before the backup time', () =>
    expect(pastRunFolders(new Date('2026-11-27T02:59:59Z'), { hour: 3, minute: 0 }, 2)).toEqual([
      '2026-11-26-03-00-00',
      '2026-11-25-03-00-00',
    ]));
  it('crosses month ends', () =>
    expect(pastRunFolders(new Date('2026-12-01T01:00:00Z'), { hour: 22, minute: 30 }, 2)).toEqual([
      '2026-11-30-22-30-00',
      '2026-11-29-22-30-00',
    ]));
});
