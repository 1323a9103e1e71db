import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

export interface Template {
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
  [key: string]: unknown;
}

/** CloudFormation's short-form tags (!Ref, !Sub, !GetAtt …) read as their long form ({"Ref": …}, {"Fn::Sub": …}). */
const TAGS = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Join', 'Split', 'Select', 'FindInMap', 'GetAZs', 'ImportValue', 'Base64', 'Cidr', 'Condition'];
const types = TAGS.flatMap((tag) => {
  const key = tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`;
  const convert = (data: unknown) => ({ [key]: tag === 'GetAtt' && typeof data === 'string' ? data.split('.') : data });
  return (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${tag}`, { kind, construct: convert }));
});
const schema = yaml.DEFAULT_SCHEMA.extend(types);

export function loadTemplate(path: string): Template {
  return yaml.load(readFileSync(path, 'utf8'), { schema }) as Template;
}
