// Comment text is Markdown; its HTML is sanitized before it reaches the DOM.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // No images: an image from another host would tell it who reads the page.
    image({ href, text }) {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

const ALLOWED_TAGS = [
  'a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'hr', 'i', 'li', 'ol', 'p', 'pre', 's', 'strong', 'table', 'tbody', 'td', 'th', 'thead',
  'tr', 'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'align'];
const SAFE_URL = /^(?:https?:|mailto:|\/(?!\/)|#)/i;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  const href = node.getAttribute('href');
  if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('rel', 'nofollow ugc noopener noreferrer');
});

// Return safe HTML for a comment's Markdown text.
export function renderMarkdown(text) {
  const html = marked.parse(String(text ?? ''));
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ADD_ATTR: ['rel'] });
}
