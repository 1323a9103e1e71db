import yaml from 'js-yaml';

/** CloudFormation's short-form tags (!Ref, !Sub, !GetAtt …), as in serverless.yml and templates/. */
const TAGS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Split',
  'Select',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Base64',
  'Cidr',
  'Condition',
];

/** A js-yaml schema that reads each short-form tag as its long form ({"Ref": …}, {"Fn::Sub": …}, GetAtt split). */
export const CLOUDFORMATION_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  TAGS.flatMap((tag) => {
    const key = tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`;
    const convert = (data: unknown) => ({
      [key]: tag === 'GetAtt' && typeof data === 'string' ? data.split('.') : data,
    });
    return (['scalar', 'sequence', 'mapping'] as const).map(
      (kind) => new yaml.Type(`!${tag}`, { kind, construct: convert }),
    );
  }),
);
