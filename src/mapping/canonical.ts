import { loadSchema, type RecordKind } from '../schemas.js';

/** The shape of a canonical record, read once from `schemas/<kind>.schema.json`. */
export type ValueType = 'string' | 'integer' | 'decimal' | 'date' | 'boolean';

export type ShapeNode =
  /** `required`: the properties the schema requires (a record without them fails validation). */
  | { node: 'object'; props: Map<string, ShapeNode>; required: Set<string> }
  | { node: 'array'; items: ShapeNode }
  | { node: 'leaf'; type: ValueType };

/**
 * Fields the pipeline fills in; an input mapping never sets them. Stock and shipment mappings may map
 * `merchant`: a warehouse report without a fixed merchant takes each record's merchant from it (the
 * pipeline checks it against the config; see MerchantRule in src/pipeline/records.ts).
 */
export const PIPELINE_FIELDS: Readonly<Record<RecordKind, readonly string[]>> = {
  order: ['id', 'merchant', 'channel', 'source'],
  stock: [],
  shipment: [],
  product: ['merchant', 'channel'],
};

type Json = Record<string, unknown>;
const shapes = new Map<RecordKind, ShapeNode>();

export function canonicalShape(kind: RecordKind): ShapeNode {
  let shape = shapes.get(kind);
  if (!shape) {
    const root = loadSchema(`${kind}.schema.json`);
    shape = toShape(root, root);
    shapes.set(kind, shape);
  }
  return shape;
}

function resolve(schema: Json, root: Json): Json {
  let s = schema;
  for (;;) {
    if (typeof s.$ref === 'string' && s.$ref.startsWith('#/$defs/')) {
      const def = (root.$defs as Record<string, Json>)[s.$ref.slice('#/$defs/'.length)]!;
      s = { ...def, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
      continue;
    }
    if (Array.isArray(s.allOf)) {
      let merged: Json = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'allOf'));
      for (const part of s.allOf as Json[]) merged = { ...resolve(part, root), ...merged };
      s = merged;
      continue;
    }
    return s;
  }
}

function toShape(schema: Json, root: Json): ShapeNode {
  const s = resolve(schema, root);
  if (s.type === 'object' || s.properties) {
    const props = new Map<string, ShapeNode>();
    for (const [k, v] of Object.entries((s.properties as Record<string, Json>) ?? {})) props.set(k, toShape(v, root));
    return { node: 'object', props, required: new Set(Array.isArray(s.required) ? (s.required as string[]) : []) };
  }
  if (s.type === 'array') return { node: 'array', items: toShape((s.items as Json) ?? {}, root) };
  if (s.type === 'integer') return { node: 'leaf', type: 'integer' };
  if (s.type === 'boolean') return { node: 'leaf', type: 'boolean' };
  if (s.format === 'date-time') return { node: 'leaf', type: 'date' };
  // Money: the decimal-string pattern from the schemas' `money` definition.
  if (typeof s.pattern === 'string' && s.pattern.startsWith('^-?\\d+(\\.\\d+)?')) return { node: 'leaf', type: 'decimal' };
  return { node: 'leaf', type: 'string' };
}

/** Names of an object node's fields, in schema order, for messages. */
export function fieldNames(node: ShapeNode): string[] {
  return node.node === 'object' ? [...node.props.keys()] : [];
}
