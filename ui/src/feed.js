// Pages of the list and the changes since a version, as the server sends them
// (GET /api/comments?limit=N with a Link to the next older page; ?since=<version>):
// reading them, and applying a changes answer to the comments the page shows.

// A page holds this many conversations (top-level comments, each with its replies).
export const FIRST_PAGE = 50;
// The most conversations one page may hold (the server's limit).
export const MAX_PAGE = 500;

// Return the URL of the Link header's rel="next" target (RFC 8288), or null.
export function nextLink(header) {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2])) return match[1];
  }
  return null;
}

// Return the list with a changes answer applied: removed ids dropped, changed
// comments replaced where they are, new ones placed by id. A comment older than
// the oldest shown belongs to a page not loaded (unless every page is): left out.
// Also return the comments that are new to the list.
export function applyChanges(list, { comments, removed }, { complete = false } = {}) {
  const gone = new Set(removed);
  const byId = new Map(comments.map((c) => [c.id, c]));
  const oldest = list.length > 0 ? list[0].id : null;
  const kept = list.filter((c) => !gone.has(c.id)).map((c) => byId.get(c.id) ?? c);
  const shown = new Set(kept.map((c) => c.id));
  const fresh = comments.filter(
    (c) => !shown.has(c.id) && (complete || oldest === null || c.id > oldest),
  );
  if (fresh.length === 0) return { list: kept, fresh };
  const merged = [...kept, ...fresh].sort((a, b) => a.id - b.id);
  return { list: merged, fresh };
}

// Return the list with an older page put before it, without repeating a comment.
export function prependPage(list, page) {
  const shown = new Set(list.map((c) => c.id));
  return [...page.filter((c) => !shown.has(c.id)), ...list];
}
