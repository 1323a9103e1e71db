import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { CLOUDFORMATION_SCHEMA } from '../../scripts/cloudformation-yaml';

export interface Template {
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
  [key: string]: unknown;
}

export function loadTemplate(path: string): Template {
  return yaml.load(readFileSync(path, 'utf8'), { schema: CLOUDFORMATION_SCHEMA }) as Template;
}

/** What CloudFormation would be told at deploy time: parameter values (defaults fill the rest) and the pseudo parameters. */
export interface DeployContext {
  parameters?: Record<string, string>;
  accountId: string;
  region: string;
  partition?: string;
}

const NO_VALUE = Symbol('AWS::NoValue');
type Node = unknown;

/**
 * The template as CloudFormation would deploy it, for the subset of intrinsics the account templates use (Ref,
 * Fn::Sub, Fn::GetAtt …Arn, Fn::If / Equals / Not / And / Or, Fn::Select, Fn::Split, Fn::Join): conditions
 * evaluated, resources whose condition is false dropped, AWS::NoValue removed. Physical names follow the resource's
 * name property (RoleName, BucketName, InstanceProfileName, Name, QueueName), else the logical id.
 */
export function resolveTemplate(template: Template, ctx: DeployContext): Template {
  const partition = ctx.partition ?? 'aws';
  const declared = (template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
  const params: Record<string, string> = {};
  for (const [name, p] of Object.entries(declared)) {
    const value = ctx.parameters?.[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (value === undefined) throw new Error(`parameter ${name} has no value and no default`);
    params[name] = value;
  }
  for (const name of Object.keys(ctx.parameters ?? {}))
    if (!(name in declared)) throw new Error(`the template has no parameter ${name}`);
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ctx.accountId,
    'AWS::Region': ctx.region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const conditionDefs = (template.Conditions ?? {}) as Record<string, Node>;
  const conditions = new Map<string, boolean>();

  const condition = (name: string): boolean => {
    if (!conditions.has(name)) {
      if (!(name in conditionDefs)) throw new Error(`unknown condition ${name}`);
      conditions.set(name, Boolean(resolve(conditionDefs[name])));
    }
    return conditions.get(name) as boolean;
  };
  const physical = (logicalId: string): { ref: string; arn: string } => {
    const r = template.Resources[logicalId];
    if (r === undefined) throw new Error(`unknown resource ${logicalId}`);
    const props = r.Properties ?? {};
    const nameOf = (key: string) => (props[key] === undefined ? logicalId : String(resolve(props[key])));
    switch (r.Type) {
      case 'AWS::IAM::Role': {
        const name = nameOf('RoleName');
        return { ref: name, arn: `arn:${partition}:iam::${ctx.accountId}:role/${name}` };
      }
      case 'AWS::IAM::InstanceProfile': {
        const name = nameOf('InstanceProfileName');
        return { ref: name, arn: `arn:${partition}:iam::${ctx.accountId}:instance-profile/${name}` };
      }
      case 'AWS::S3::Bucket': {
        const name = nameOf('BucketName');
        return { ref: name, arn: `arn:${partition}:s3:::${name}` };
      }
      case 'AWS::Events::Rule': {
        const name = nameOf('Name');
        return { ref: name, arn: `arn:${partition}:events:${ctx.region}:${ctx.accountId}:rule/${name}` };
      }
      case 'AWS::SQS::Queue': {
        const name = nameOf('QueueName');
        return {
          ref: `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${name}`,
          arn: `arn:${partition}:sqs:${ctx.region}:${ctx.accountId}:${name}`,
        };
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        const name = nameOf('Name');
        return { ref: name, arn: `arn:${partition}:scheduler:${ctx.region}:${ctx.accountId}:schedule-group/${name}` };
      }
      default:
        throw new Error(`resolveTemplate does not know the physical name of a ${r.Type}`);
    }
  };
  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in params) return params[name];
    return physical(name).ref;
  };
  const getAtt = (logicalId: string, attribute: string): string => {
    if (attribute !== 'Arn') throw new Error(`resolveTemplate resolves only Arn, not ${logicalId}.${attribute}`);
    return physical(logicalId).arn;
  };
  const sub = (text: string, vars: Record<string, unknown>): string =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [id, attribute] = name.split('.') as [string, string];
        return getAtt(id, attribute);
      }
      return String(ref(name));
    });

  function resolve(node: Node): unknown {
    if (Array.isArray(node)) return node.map(resolve).filter((v) => v !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, Node>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, Node];
      const args = arg as Node[];
      switch (key) {
        case 'Ref':
          return ref(arg as string);
        case 'Fn::GetAtt':
          return getAtt(args[0] as string, args[1] as string);
        case 'Fn::Sub':
          return typeof arg === 'string'
            ? sub(arg, {})
            : sub(
                args[0] as string,
                Object.fromEntries(Object.entries(args[1] as Record<string, Node>).map(([k, v]) => [k, resolve(v)])),
              );
        case 'Fn::If':
          return resolve(condition(args[0] as string) ? args[1] : args[2]);
        case 'Fn::Equals':
          return String(resolve(args[0])) === String(resolve(args[1]));
        case 'Fn::Not':
          return !resolve(args[0]);
        case 'Fn::And':
          return args.every((a) => Boolean(resolve(a)));
        case 'Fn::Or':
          return args.some((a) => Boolean(resolve(a)));
        case 'Condition':
          return condition(arg as string);
        case 'Fn::Select':
          return (resolve(args[1]) as unknown[])[Number(resolve(args[0]))];
        case 'Fn::Split':
          return String(resolve(args[1])).split(args[0] as string);
        case 'Fn::Join':
          return (resolve(args[1]) as unknown[]).join(args[0] as string);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const value = resolve(v);
      if (value !== NO_VALUE) out[k] = value;
    }
    return out;
  }

  const resources: Template['Resources'] = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Condition !== undefined && !condition(r.Condition)) continue;
    resources[id] = {
      ...r,
      Properties: r.Properties === undefined ? undefined : (resolve(r.Properties) as Record<string, unknown>),
    };
  }
  const outputs: Record<string, unknown> = {};
  for (const [id, o] of Object.entries(
    (template.Outputs ?? {}) as Record<string, { Condition?: string; Value: Node }>,
  )) {
    if (o.Condition !== undefined && !condition(o.Condition)) continue;
    outputs[id] = resolve(o.Value);
  }
  return { ...template, Parameters: params, Resources: resources, Outputs: outputs };
}
