import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';
import { chooseLanguage, setLanguage, t } from './i18n.js';
import de from './messages/de.js';
import fr from './messages/fr.js';
import KEYS from './messages/keys.js';
import { timeAgo } from './time.js';

// The sources, from ui/ (where vitest runs).
const here = join(process.cwd(), 'src');

// Every t('…') the code says (tests aside), with its quotes undone.
function messagesSaid() {
  const files = readdirSync(here, { recursive: true }).filter(
    (name) => /\.jsx?$/.test(name) && !/\.test\.|messages[\\/]/.test(name),
  );
  const said = new Set();
  for (const name of files) {
    const source = readFileSync(join(here, name), 'utf8');
    for (const [, quoted] of source.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) said.add(quoted.replace(/\\(.)/g, '$1'));
  }
  return said;
}

// The English comment above each entry of a catalog's source, in order.
function commentedKeys(name) {
  const source = readFileSync(join(here, 'messages', `${name}.js`), 'utf8');
  return [...source.matchAll(/^ {2}\/\/ (.*)$/gm)].map(([, key]) => key);
}

afterEach(() => setLanguage('en'));

describe('the message catalog', () => {
  it('has every message the code says, once, sorted', () => {
    const missing = [...messagesSaid()].filter((message) => !KEYS.includes(message));
    expect(missing).toEqual([]);
    expect(KEYS).toEqual([...new Set(KEYS)].sort());
  });

  it.each([
    ['de', de],
    ['fr', fr],
  ])('is complete in %s, each entry under its English', (name, words) => {
    expect(words).toHaveLength(KEYS.length);
    expect(commentedKeys(name)).toEqual(KEYS);
    for (const [index, word] of words.entries()) {
      expect(typeof word, KEYS[index]).toBe('string');
      expect(word.trim(), KEYS[index]).not.toBe('');
      // The same placeholders as the English.
      const places = (text) => [...text.matchAll(/\{\w+\}/g)].map(([p]) => p).sort();
      expect(places(word), KEYS[index]).toEqual(places(KEYS[index]));
    }
  });

  it.each([
    [null, ['fr-CA', 'en'], 'fr'],
    ['de', ['fr-FR'], 'de'],
    ['DE-at', [], 'de'],
    ['es', ['it', 'fr'], 'fr'],
    ['es', ['it'], 'en'],
    [null, [], 'en'],
  ])('chooses %s, else the browser languages %j: %s', (wanted, browser, chosen) => {
    expect(chooseLanguage(wanted, browser)).toBe(chosen);
  });

  it('says a value with braces as it is', async () => {
    await setLanguage('de');
    expect(t('Replies to {name}', { name: '{limit}' })).toBe('Antworten an {limit}');
    expect(document.documentElement.lang).toBe('de');
  });

  it('dates relatively in the language spoken', async () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    await setLanguage('fr');
    expect(timeAgo(new Date(now - 3 * 60_000), now)).toBe('il y a 3 minutes');
    expect(timeAgo(new Date(now - 5_000), now)).toBe('à l’instant');
    await setLanguage('de');
    expect(timeAgo(new Date(now - 2 * 3600_000), now)).toBe('vor 2 Stunden');
  });

  it('gives the page its words in German', async () => {
    vi.spyOn(window, 'fetch').mockResolvedValue(
      new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json', 'Comments-Version': '1' } }),
    );
    await setLanguage('de');
    render(<CommentBox pollInterval={60_000} thread="/a" />);
    expect(await screen.findByText('Noch keine Kommentare. Schreiben Sie den ersten!')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Kommentare');
    expect(await screen.findByRole('button', { name: 'Senden' })).toBeInTheDocument();
    expect(screen.getByLabelText('Kommentar')).toBeInTheDocument();
  });
});
