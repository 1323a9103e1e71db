/** A clock that moves only when told to, or when something sleeps on it: lease waits take no real time. */
export function manualClock(start = Date.parse('2026-11-26T10:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}
