// Comment text is Markdown; its HTML is sanitized before it reaches the DOM.
//
// Any stored text must render, quickly, whatever it holds: comments also arrive by
// import or straight from the database, not only through the form. markdown-it
// parses without unbounded recursion and stops nesting at maxNesting; a text that
// nests that deep is no real comment (a quote in a list in a quote is three levels),
// so it is shown as plain text, whole, instead of cut where the nesting stopped.
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

export const MAX_NESTING = 20;

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, maxNesting: MAX_NESTING });

// No images: an image from another host would tell it who reads the page.
md.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const href = token.attrGet('src') ?? '';
  return `<a href="${escapeHtml(href)}">${escapeHtml(token.content || href)}</a>`;
};

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
});

// The deepest nesting in a token stream, inline tokens included.
function deepest(tokens) {
  let level = 0;
  for (const token of tokens) {
    level = Math.max(level, token.level, token.children ? deepest(token.children) : 0);
  }
  return level;
}

function plainText(text) {
  return `<p>${escapeHtml(text).replace(/\r?\n/g, '<br>\n')}</p>`;
}

function markdownHtml(text) {
  try {
    const env = {};
    const tokens = md.parse(text, env);
    if (deepest(tokens) >= MAX_NESTING - 1) return plainText(text);
    return md.renderer.render(tokens, md.options, env);
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
  const html = md.renderInline(String(text ?? ''));
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ADD_ATTR: ['rel'] });
}
