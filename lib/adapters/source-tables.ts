import { type DynamoDBClient, ListTablesCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';

/** The tables of one source account in one region (through the source role). */
export class SourceTables {
  constructor(private readonly client: DynamoDBClient) {}

  async listNames(): Promise<string[]> {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const out = await this.client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      names.push(...(out.TableNames ?? []));
      start = out.LastEvaluatedTableName;
    } while (start !== undefined);
    return names;
  }

  async tags(tableArn: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListTagsOfResourceCommand({ ResourceArn: tableArn, NextToken: token }));
      for (const t of out.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      token = out.NextToken;
    } while (token !== undefined);
    return tags;
  }
}
