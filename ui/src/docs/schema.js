// Reading an OpenAPI description: references, and a one-line summary of a schema.

// Follow a local $ref ("#/components/schemas/Comment") to what it names.
export function resolve(spec, node) {
  let seen = 0;
  while (node && typeof node.$ref === 'string' && seen++ < 32) {
    const path = node.$ref.replace(/^#\//, '').split('/');
    node = path.reduce((at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return node ?? {};
}

export function refName(node) {
  return typeof node?.$ref === 'string' ? node.$ref.split('/').pop() : null;
}

// "string, 1–100 characters", "integer ≥ 0", "array of Comment", "one of: a, b".
export function describeType(spec, node) {
  const name = refName(node);
  const schema = resolve(spec, node);
  if (name && schema.type === 'object') return name;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of: ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  if (schema.oneOf || schema.anyOf) {
    return (schema.oneOf || schema.anyOf).map((option) => describeType(spec, option)).join(' or ');
  }
  if (schema.type === 'array') return `array of ${describeType(spec, schema.items)}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type || name || 'any';
  const limits = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    limits.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} characters`);
  }
  if (schema.minimum !== undefined) limits.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`≤ ${schema.maximum}`);
  if (schema.format) limits.push(schema.format);
  if (schema.pattern) limits.push(`matching ${schema.pattern}`);
  return [type, ...limits].join(', ');
}
