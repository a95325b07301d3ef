// What the page remembers of the comments posted from it: the Comment-Token
// that lets their author change or delete them, until the edit window ends,
// and, for a comment a moderator has not published yet, the comment itself
// (it is not in the public list, so only this memory can show it to its author).
// Kept in localStorage so that it survives a reload; dropped once expired.

const KEY = 'comments.mine';

// The server's default COMMENTS_EDIT_WINDOW. The Comment-Token answer does not
// say when the token expires, so the page keeps it this long, and forgets it
// sooner when the server refuses it.
export const EDIT_WINDOW = 15 * 60 * 1000;

// When localStorage cannot be used (private mode, storage full, a frame of another
// site), the page remembers in memory until it is closed; in the embedded widget the host
// page keeps a copy too (keepWith: each save is handed to keeper).
let memory = null;
let keeper = null;

function isEntry(entry) {
  return (
    entry !== null &&
    typeof entry === 'object' &&
    (entry.token === null || typeof entry.token === 'string') &&
    Number.isFinite(entry.expires)
  );
}

function readStored() {
  if (memory !== null) return memory;
  try {
    return JSON.parse(localStorage.getItem(KEY) || '{}');
  } catch {
    return {};
  }
}

// Return {id: {token, expires, comment?}} for every entry that has not expired.
export function loadMine(now = Date.now()) {
  const stored = readStored();
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return {};
  return Object.fromEntries(
    Object.entries(stored).filter(([, entry]) => isEntry(entry) && entry.expires > now),
  );
}

export function saveMine(entries) {
  if (memory !== null) {
    memory = entries;
    keeper?.(entries);
    return;
  }
  try {
    if (Object.keys(entries).length === 0) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, JSON.stringify(entries));
  } catch {
    memory = entries;
  }
}

// Apply update(entries) to what is stored now (another tab may have written
// since this one read), save and return the result, expired entries dropped.
export function updateMine(update, now = Date.now()) {
  const next = update(loadMine(now));
  saveMine(next);
  return next;
}

// Whether a storage event may have changed what loadMine returns.
export function touchesMine(event) {
  return event.key === KEY || event.key === null;
}

// Remember in memory from now on (never in this origin's localStorage), handing every
// save to keep(entries): the embedded widget's host keeps them (embed/connection.js).
export function keepWith(entries, keep) {
  memory = entries ?? {};
  keeper = keep;
}

// Add the entries the host kept (their JSON) to those remembered, as if another tab had
// written them: the page hears a storage event. The ones remembered meanwhile win.
export function mergeMine(json) {
  let kept;
  try {
    kept = JSON.parse(json || '{}');
  } catch {
    return;
  }
  if (kept === null || typeof kept !== 'object' || Array.isArray(kept)) return;
  memory = { ...kept, ...(memory ?? {}) };
  window.dispatchEvent(new StorageEvent('storage', { key: KEY }));
}

// For tests: use localStorage again.
export function resetMemory() {
  memory = null;
  keeper = null;
}
