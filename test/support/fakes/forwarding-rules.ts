import type { ForwardingRuleState, ForwardingRulesOf } from '../../../lib/ports/forwarding-rules';

/** The source accounts' forwarding rules in memory: enabled wherever not set otherwise; every DescribeRule recorded. */
export class FakeForwardingRules {
  private readonly states = new Map<string, ForwardingRuleState | Error>();
  /** `account/region` of every DescribeRule, in order. */
  readonly asked: string[] = [];

  set(accountId: string, region: string, state: ForwardingRuleState | Error): void {
    this.states.set(`${accountId}/${region}`, state);
  }

  readonly of: ForwardingRulesOf = (accountId, region) => ({
    state: async () => {
      this.asked.push(`${accountId}/${region}`);
      const s = this.states.get(`${accountId}/${region}`) ?? 'enabled';
      if (s instanceof Error) throw s;
      return s;
    },
  });
}
