import { describe, expect, it } from 'vitest';
import { MAX_NESTING, renderMarkdown } from './markdown.js';
import { PATHOLOGICAL } from './test-fixtures.js';

const HOSTILE = [
  '<img src=x onerror="window.__pwned = 1">',
  '<script>window.__pwned = 1</script>',
  '[x](javascript:window.__pwned=1)',
  '<a href="javascript:window.__pwned=1">click</a>',
  '<svg onload="window.__pwned = 1"><circle r="5"/></svg>',
  '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
  '[x](  javascript:alert(1))',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
  '<a href="data:text/html,<script>alert(1)</script>">data</a>',
  '![tracker](https://evil.example/pixel.png)',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
];

function parse(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
}

describe('renderMarkdown', () => {
  it('renders Markdown', () => {
    const html = renderMarkdown('React is *great*!\n\n- one\n- **two**\n\n`code`');
    expect(html).toContain('<em>great</em>');
    expect(html).toContain('<strong>two</strong>');
    expect(html).toContain('<code>code</code>');
  });

  it('keeps safe links, marked nofollow', () => {
    const link = parse(renderMarkdown('[docs](https://react.dev)')).querySelector('a');
    expect(link.getAttribute('href')).toBe('https://react.dev');
    expect(link.getAttribute('rel')).toContain('nofollow');
  });

  it.each(HOSTILE)('makes %s inert', (input) => {
    const fragment = parse(renderMarkdown(input));
    expect(fragment.querySelector('script, iframe, svg, math, img, style')).toBeNull();
    for (const element of fragment.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name).not.toMatch(/^on/i);
        expect(attribute.name).not.toBe('style');
        expect(attribute.value).not.toMatch(/^\s*(javascript|data):/i);
      }
    }
  });

  it('turns images into links, so no other host is asked for them', () => {
    const fragment = parse(renderMarkdown('![a cat](https://cats.example/cat.png)'));
    expect(fragment.querySelector('img')).toBeNull();
    expect(fragment.querySelector('a').textContent).toBe('a cat');
  });

  it.each(Object.entries(PATHOLOGICAL))('shows %s whole, as text, without throwing', (_, text) => {
    const fragment = parse(renderMarkdown(text));
    expect(fragment.textContent.replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
  });

  it('still renders the nesting real comments use', () => {
    const fragment = parse(renderMarkdown('> said:\n> - a point\n>   - **a detail**\n\n1. one\n2. two'));
    expect(fragment.querySelector('blockquote ul ul strong').textContent).toBe('a detail');
    expect(fragment.querySelectorAll('ol li')).toHaveLength(2);
    const deepest = `${'- '.repeat(MAX_NESTING / 2 - 2)}deep`;
    expect(parse(renderMarkdown(deepest)).querySelectorAll('ul')).toHaveLength(MAX_NESTING / 2 - 2);
  });

  it.each([
    ['https://react.dev/learn', 'https://react.dev/learn'],
    ['http://example.com', 'http://example.com'],
    ['mailto:ann@example.com', 'mailto:ann@example.com'],
    ['ftp://files.example/x', null],
    ['tel:+1555', null],
    ['//evil.example/x', null],
    ['/moderate', null],
    ['#top', null],
    ['vbscript:msgbox(1)', null],
    ['data:text/html,hi', null],
    ['javascript:alert(1)', null],
    ['  JAVASCRIPT:alert(1)', null],
  ])('keeps only http, https and mailto links: %s', (href, kept) => {
    const link = parse(renderMarkdown(`[link](<${href}>)`)).querySelector('a');
    expect(link?.getAttribute('href') ?? null).toBe(kept);
  });
});
