// Comment text is Markdown; its HTML is sanitized before it reaches the DOM.
//
// Any stored text must render, quickly, whatever it holds: comments also arrive by
// import or straight from the database, not only through the form. The renderer (marked,
// chosen for its weight: docs/page.md) recurses once per level of nesting, so a text is
// measured first, in one linear pass, and one that nests MAX_NESTING levels deep (no real
// comment does: a quote in a list in a quote is three) is shown as plain text, whole,
// without ever reaching the parser. The parsed tokens are measured again, and whatever
// the parser may still trip on costs the comment its formatting, nothing more.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

export const MAX_NESTING = 20;

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const md = new Marked({
  async: false,
  gfm: true,
  breaks: true,
  renderer: {
    // No images: an image from another host would tell it who reads the page.
    image({ href, text }) {
      const label = text || href || '';
      return `<a href="${escapeHtml(href ?? '')}">${escapeHtml(label)}</a>`;
    },
    // Raw HTML is shown as the text it is, never parsed as markup.
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

const ALLOWED_TAGS = [
  'a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'hr', 'i', 'li', 'ol', 'p', 'pre', 's', 'strong', 'table', 'tbody', 'td', 'th', 'thead',
  'tr', 'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'align', 'start'];
// Links may lead only to web pages and mail: no other scheme, and no path on this site.
const SAFE_URL = /^(?:https?:|mailto:)/i;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  const href = node.getAttribute('href');
  if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('rel', 'nofollow ugc noopener noreferrer');
  // In another site's frame (the embedded widget) a link opens a tab of its own, rather than
  // a whole site inside the frame.
  if (window.parent !== window) node.setAttribute('target', '_blank');
});

// Markers that open a container at a line's start: a quote, a bullet, a numbered item.
const CONTAINER = /^[ \t]{0,3}(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]?/;
// Runs of inline delimiters that would open as many nested spans (a rule drawn with a long
// line of them opens nothing: only a run followed by text counts).
const INLINE_RUN = new RegExp(`[*_~]{${MAX_NESTING},}(?=[^*_~\\s])|\\[{${MAX_NESTING},}`);
// Indentation that deep only comes from lists nested past the limit (or code nobody reads).
const DEEP_INDENT = new RegExp(`^[ \\t]{${MAX_NESTING * 4},}`, 'm');

// How many containers a line opens at its start, counted up to the limit.
function lineDepth(line) {
  let depth = 0;
  let rest = line;
  for (let match = CONTAINER.exec(rest); match && depth < MAX_NESTING; match = CONTAINER.exec(rest)) {
    depth += 1;
    rest = rest.slice(match[0].length);
  }
  return depth;
}

// Tell, in one pass over the text, whether it nests too deep to give to the parser.
function tooDeep(text) {
  if (INLINE_RUN.test(text) || DEEP_INDENT.test(text)) return true;
  return text.split('\n').some((line) => lineDepth(line) >= MAX_NESTING - 1);
}

// The deepest nesting in a token tree, list items and table cells included.
function deepest(tokens, level = 0) {
  let most = level;
  for (const token of tokens ?? []) {
    most = Math.max(most, deepest(token.tokens, level + 1), deepest(token.items, level + 1));
    if (most >= MAX_NESTING) return most;
  }
  return most;
}

function plainText(text) {
  return `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>\n')}</p>`;
}

function markdownHtml(text) {
  if (tooDeep(text)) return plainText(text);
  try {
    const tokens = md.lexer(text);
    if (deepest(tokens) >= MAX_NESTING - 1) return plainText(text);
    return md.parser(tokens);
  } catch {
    // Whatever a parser may still trip on costs this comment its formatting, nothing more.
    return plainText(text);
  }
}

// Return safe HTML for a comment's Markdown text.
export function renderMarkdown(text) {
  const html = markdownHtml(String(text ?? ''));
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ADD_ATTR: ['rel'] });
}

// Return safe HTML for one line of Markdown (the API reference's table cells): inline
// elements only, no paragraph around them.
export function renderInlineMarkdown(text) {
  const line = String(text ?? '');
  let html;
  try {
    html = tooDeep(line) ? escapeHtml(line) : md.parseInline(line);
  } catch {
    html = escapeHtml(line);
  }
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ADD_ATTR: ['rel'] });
}
