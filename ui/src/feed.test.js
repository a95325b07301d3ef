import { describe, expect, it } from 'vitest';
import { applyChanges, nextLink, prependPage } from './feed.js';

const c = (id, text = `comment ${id}`) => ({ id, author: 'A', text });

describe('nextLink', () => {
  it('finds rel="next" among links and parameters', () => {
    expect(nextLink('</api/comments?limit=50&before=9>; rel="next"')).toBe('/api/comments?limit=50&before=9');
    expect(nextLink('</a>; rel="prev", </b>; title="x"; rel="first next"')).toBe('/b');
    expect(nextLink('</a>; rel=next')).toBe('/a');
    expect(nextLink('</a>; rel="nextish"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe('applyChanges', () => {
  it('adds new comments, replaces edited ones in place and drops removed ones', () => {
    const { list, fresh } = applyChanges([c(3), c(4), c(5)], {
      comments: [c(4, 'edited'), c(6)],
      removed: [5, 99],
    });
    expect(list).toEqual([c(3), c(4, 'edited'), c(6)]);
    expect(fresh).toEqual([c(6)]);
  });

  it('leaves out a republished comment older than the pages shown, unless all are', () => {
    expect(applyChanges([c(3), c(4)], { comments: [c(1)], removed: [] }).list).toEqual([c(3), c(4)]);
    expect(applyChanges([c(3), c(4)], { comments: [c(1)], removed: [] }, { complete: true }).list).toEqual([
      c(1),
      c(3),
      c(4),
    ]);
  });

  it('places a comment published again between those shown by id', () => {
    expect(applyChanges([c(3), c(5)], { comments: [c(4)], removed: [] }).list).toEqual([c(3), c(4), c(5)]);
  });
});

describe('prependPage', () => {
  it('puts an older page first without repeating a comment', () => {
    expect(prependPage([c(3), c(4)], [c(1), c(2), c(3)])).toEqual([c(1), c(2), c(3), c(4)]);
  });
});
