import { DescribeRuleCommand, type EventBridgeClient, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import type { ForwardingRule, ForwardingRuleState } from '../ports/forwarding-rules';

/** The forwarding rule of one source account and region, by its name, on the default bus (through the source role). */
export class EventBridgeForwardingRule implements ForwardingRule {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly ruleName: string,
  ) {}

  async state(): Promise<ForwardingRuleState> {
    try {
      const out = await this.client.send(new DescribeRuleCommand({ Name: this.ruleName }));
      return out.State === 'ENABLED' ? 'enabled' : 'disabled';
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return 'missing';
      throw e;
    }
  }
}
