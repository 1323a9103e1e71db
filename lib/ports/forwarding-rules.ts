/**
 * The rule that forwards a source account's CreateTable / DeleteTable events to the orchestrator's
 * bus, in one region (templates/source-account.yml, ForwardTableEventsRule), read through the
 * source role: without it, a table created in that region is never seen. Adapter:
 * lib/adapters/forwarding-rules.ts (EventBridge DescribeRule).
 */
export type ForwardingRuleState = 'enabled' | 'disabled' | 'missing';

export interface ForwardingRule {
  state(): Promise<ForwardingRuleState>;
}

export type ForwardingRulesOf = (accountId: string, region: string) => ForwardingRule;
