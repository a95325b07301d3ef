// Each of these made the old renderer (marked) recurse once per level until the stack
// overflowed, which took the whole page down for every visitor.
export const PATHOLOGICAL = {
  'nested list items': `${'- '.repeat(2000)}a`,
  'nested quotes': '>'.repeat(1875),
  'nested ordered items': '1. '.repeat(2000),
  'quotes in lists': '> - '.repeat(1000),
  'spaced quotes': '> '.repeat(4999),
  'nested emphasis': `${'*'.repeat(5000)}a${'*'.repeat(4999)}`,
  'open brackets': `${'['.repeat(5000)}a${']'.repeat(4999)}`,
};
