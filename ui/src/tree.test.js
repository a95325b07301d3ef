import { describe, expect, it } from 'vitest';
import { buildTree, conversationCount, replyNote, threadItems, withoutComment } from './tree.js';

const c = (id, parent, author = `A${id}`) => (parent === undefined ? { id, author } : { id, author, parent });
const removed = (id, parent = null) => ({ id, parent, removed: true, created: '2026-11-24T12:00:00.000Z' });

// The shape of items as ids: [id, [replies…]], with the note when there is one.
function shape(items) {
  return items.map((item) => {
    const note = replyNote(item);
    const replies = shape(item.replies);
    return [item.comment.id, ...(note ? [note] : []), ...(replies.length ? [replies] : [])];
  });
}

describe('buildTree', () => {
  it('puts replies under their parent, in list order, and reads a missing parent as top-level', () => {
    const tree = buildTree([c(1), c(2, null), c(3, 1), c(4, 2), c(5, 1)]);
    expect(tree.map((node) => node.comment.id)).toEqual([1, 2]);
    expect(tree[0].replies.map((node) => node.comment.id)).toEqual([3, 5]);
    expect(tree[1].replies.map((node) => node.comment.id)).toEqual([4]);
  });

  it('shows a reply whose parent is not in the list top-level, marked, instead of dropping it', () => {
    const tree = buildTree([c(10), c(11, 3), c(12, 11)]);
    expect(tree.map((node) => [node.comment.id, node.orphan])).toEqual([
      [10, false],
      [11, true],
    ]);
    expect(tree[1].replies[0].comment.id).toBe(12);
  });

  it('loses no comment caught in a loop of parents', () => {
    const tree = buildTree([c(1), c(2, 3), c(3, 2), c(4, 4)]);
    const ids = [];
    const walk = (node) => {
      ids.push(node.comment.id);
      node.replies.forEach(walk);
    };
    tree.forEach(walk);
    expect(ids.sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('threadItems', () => {
  it('nests three levels and shows deeper replies at the third, saying whom they answer', () => {
    const list = [c(1), c(2, 1), c(3, 2), c(4, 3, 'Di'), c(5, 4, 'Ed'), c(6, 3), c(7, 1)];
    expect(shape(threadItems(list))).toEqual([
      [
        1,
        [
          [2, [[3], [4, 'A3'], [5, 'Di'], [6, 'A3']]],
          [7],
        ],
      ],
    ]);
  });

  it('says "a removed comment" for a deep reply to a placeholder, and "an earlier comment" for an orphan', () => {
    const list = [c(1), c(2, 1), removed(3, 2), c(4, 3), c(9, 8)];
    expect(shape(threadItems(list))).toEqual([[1, [[2, [[3], [4, 'a removed comment']]]]], [9, 'an earlier comment']]);
  });

  it('leaves a list without replies flat', () => {
    expect(shape(threadItems([c(1), c(2), c(3)]))).toEqual([[1], [2], [3]]);
  });
});

describe('withoutComment', () => {
  it('drops a comment without replies, and keeps the place of one with replies', () => {
    const list = [{ ...c(1), created: 'then' }, c(2, 1), c(3)];
    expect(withoutComment(list, 3)).toEqual([list[0], list[1]]);
    expect(withoutComment(list, 1)).toEqual([
      { id: 1, parent: null, removed: true, created: 'then' },
      list[1],
      list[2],
    ]);
  });

  it('drops placeholders left without replies, up the conversation', () => {
    const list = [removed(1), removed(2, 1), c(3, 2), c(4)];
    expect(withoutComment(list, 3)).toEqual([c(4)]);
  });
});

describe('conversationCount', () => {
  it('counts top-level comments (and orphans), not replies', () => {
    expect(conversationCount([c(1), c(2, 1), c(3), c(4, 3), c(5, 99)])).toBe(3);
  });
});
