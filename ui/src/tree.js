// A thread's comments arrive as a flat list, oldest first, each naming its parent
// (null, or no parent key, for a top-level comment). The page shows them as a
// tree: replies under the comment they answer, nested up to MAX_LEVELS levels
// (the top-level comments being the first); a deeper reply is shown at the last
// level, after the comment it descends from, saying whom it answers.

import { t } from './i18n.js';

export const MAX_LEVELS = 3;

// The id a comment answers, or null for a top-level comment.
export function parentOf(comment) {
  return comment?.parent ?? null;
}

// Whether the server sent this comment as the place of a removed one that has replies.
export function isPlaceholder(comment) {
  return comment?.removed === true;
}

// Return the top-level nodes {comment, orphan, replies: [nodes]}, in list order. A reply
// whose parent is not in the list (on a page not loaded, or arrived on its own in a
// changes answer) is shown top-level, marked orphan, rather than lost; so is a comment
// caught in a loop of parents, which no sane server sends.
export function buildTree(list) {
  const known = new Set(list.map((comment) => comment.id));
  const children = new Map();
  const roots = [];
  for (const comment of list) {
    const parent = parentOf(comment);
    if (parent === null || parent === comment.id || !known.has(parent)) {
      roots.push(comment);
    } else {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(comment);
    }
  }
  const placed = new Set();
  const node = (comment) => {
    placed.add(comment);
    const replies = (children.get(comment.id) ?? []).filter((reply) => !placed.has(reply));
    return { comment, orphan: parentOf(comment) !== null && !known.has(parentOf(comment)), replies: replies.map(node) };
  };
  const tree = roots.map(node);
  for (const comment of list) {
    if (!placed.has(comment)) tree.push({ ...node(comment), orphan: true });
  }
  return tree;
}

// Return what the list renders: items {comment, replies: [items], inReplyTo, orphan},
// nested MAX_LEVELS deep at most. inReplyTo is the comment a reply shown at the last
// level answers when that is not the comment it is nested under (null otherwise).
export function threadItems(list, maxLevels = MAX_LEVELS) {
  return itemsAt(buildTree(list), 1, maxLevels);
}

function itemsAt(nodes, level, maxLevels) {
  if (level < maxLevels) {
    return nodes.map((node) => ({
      comment: node.comment,
      orphan: node.orphan,
      inReplyTo: null,
      replies: itemsAt(node.replies, level + 1, maxLevels),
    }));
  }
  // The last level: each comment, then everything under it in conversation order.
  const items = [];
  const walk = (node, answered) => {
    items.push({ comment: node.comment, orphan: node.orphan, inReplyTo: answered, replies: [] });
    for (const reply of node.replies) walk(reply, node.comment);
  };
  for (const node of nodes) walk(node, null);
  return items;
}

// The words that say whom an item answers, or null when its place says it.
export function replyNote(item) {
  if (item.inReplyTo) {
    return isPlaceholder(item.inReplyTo) ? t('a removed comment') : item.inReplyTo.author;
  }
  return item.orphan ? t('an earlier comment') : null;
}

// Return the list without the comment id: in its place a placeholder while replies
// to it are listed (as the server keeps it), and without placeholders left with none.
export function withoutComment(list, id) {
  const gone = list.find((comment) => comment.id === id);
  if (!gone) return list;
  const answered = list.some((comment) => parentOf(comment) === id);
  let result = answered
    ? list.map((comment) =>
        comment.id === id ? { id, parent: parentOf(comment), removed: true, created: comment.created } : comment,
      )
    : list.filter((comment) => comment.id !== id);
  // A placeholder whose last reply went goes too, and so on up the conversation.
  for (;;) {
    const parents = new Set(result.map(parentOf));
    const kept = result.filter((comment) => !isPlaceholder(comment) || parents.has(comment.id));
    if (kept.length === result.length) return result;
    result = kept;
  }
}

// How many conversations the list holds (what a page's ?limit= counts).
export function conversationCount(list) {
  return buildTree(list).length;
}
