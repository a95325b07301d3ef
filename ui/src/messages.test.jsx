import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';
import { chooseLanguage, setLanguage, t } from './i18n.js';
import de from './messages/de.js';
import FORM_KEYS from './messages/formKeys.js';
import formsDe from './messages/forms-de.js';
import formsFr from './messages/forms-fr.js';
import fr from './messages/fr.js';
import KEYS from './messages/keys.js';
import { timeAgo } from './time.js';

// The sources, from ui/ (where vitest runs).
const here = join(process.cwd(), 'src');

// The modules of the forms' chunk (src/formParts.js): their words load with them.
const FORM_FILES = /^(CommentForm|CommentFields|EmailFields|EditForm|ConfirmDelete|writes)\.jsx?$/;

// Every t('…') the code says (tests aside), with its quotes undone; forms: true for only the
// forms' modules', false for only the others'.
function messagesSaid({ forms = null } = {}) {
  const wanted = (name) => forms === null || FORM_FILES.test(name) === forms;
  const files = readdirSync(here, { recursive: true }).filter(
    (name) => /\.jsx?$/.test(name) && !/\.test\.|messages[\\/]/.test(name) && wanted(name),
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
    const missing = [...messagesSaid()].filter((message) => !KEYS.includes(message) && !FORM_KEYS.includes(message));
    expect(missing).toEqual([]);
    expect(KEYS).toEqual([...new Set(KEYS)].sort());
    expect(FORM_KEYS).toEqual([...new Set(FORM_KEYS)].sort());
    expect(FORM_KEYS.filter((message) => KEYS.includes(message))).toEqual([]);
  });

  it("keeps the forms' words for the forms alone, and all of them", () => {
    // Said before the forms load, a form's key would show in English: no other code says one.
    const elsewhere = messagesSaid({ forms: false });
    expect(FORM_KEYS.filter((message) => elsewhere.has(message))).toEqual([]);
    // And what only the forms say weighs nothing before the first comment.
    const formsOnly = [...messagesSaid({ forms: true })].filter((message) => !elsewhere.has(message));
    expect(formsOnly.filter((message) => !FORM_KEYS.includes(message))).toEqual([]);
  });

  it.each([
    ['de', de, KEYS],
    ['fr', fr, KEYS],
    ['forms-de', formsDe, FORM_KEYS],
    ['forms-fr', formsFr, FORM_KEYS],
  ])('is complete in %s, each entry under its English', (name, words, keys) => {
    expect(words).toHaveLength(keys.length);
    expect(commentedKeys(name)).toEqual(keys);
    for (const [index, word] of words.entries()) {
      expect(typeof word, keys[index]).toBe('string');
      expect(word.trim(), keys[index]).not.toBe('');
      // The same placeholders as the English.
      const places = (text) => [...text.matchAll(/\{\w+\}/g)].map(([p]) => p).sort();
      expect(places(word), keys[index]).toEqual(places(keys[index]));
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
    // The forms' own words came with them.
    expect(screen.getByLabelText('Per E-Mail benachrichtigen, wenn jemand antwortet')).toBeDisabled();
    expect(screen.getByText(/^Optional\. Nur für Nachrichten über Antworten/)).toBeInTheDocument();
  });

  it("changes the forms' words with the language once they are loaded", async () => {
    vi.spyOn(window, 'fetch').mockResolvedValue(
      new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json', 'Comments-Version': '1' } }),
    );
    await setLanguage('fr');
    render(<CommentBox pollInterval={60_000} thread="/a" />);
    expect(await screen.findByText('E-mail')).toBeInTheDocument();
    expect(t('Leave this empty')).toBe('Laissez ce champ vide');
    await setLanguage('de');
    expect(t('Leave this empty')).toBe('Dieses Feld leer lassen');
    await setLanguage('en');
    expect(t('Leave this empty')).toBe('Leave this empty');
  });
});
