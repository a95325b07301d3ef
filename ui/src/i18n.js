// The words the comment box says, in the reader's language: English, German or French.
// English is the catalog's key (what the code says, listed in src/messages/keys.js), so the
// English page loads no catalog; another language's words are loaded once, before the first
// render (src/messages/<lang>.js, in the keys' order); the forms bring their own words with
// them (addWords, src/messages/forms.js), so the first comments wait for none of those. The
// embedded widget's ?lang= (embed.js's data-lang) chooses, else the browser's languages, else
// English.
import KEYS from './messages/keys.js';

export const LANGUAGES = ['en', 'de', 'fr'];

const CATALOGS = {
  de: () => import('./messages/de.js'),
  fr: () => import('./messages/fr.js'),
};

let language = 'en';
let catalog = new Map();
// What brings more words (lang) => [keys, words]: asked again when the language changes.
const parts = [];

// Return the first of wanted, then the browser's languages, that the box speaks, else 'en'.
export function chooseLanguage(wanted = null, browser = navigator.languages ?? [navigator.language]) {
  for (const tag of [wanted, ...browser]) {
    const base = String(tag ?? '')
      .slice(0, 2)
      .toLowerCase();
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

// Speak lang from now on (its catalog loaded, and the words of what brought more), and say so
// on the document.
export async function setLanguage(lang) {
  const words = CATALOGS[lang] ? (await CATALOGS[lang]()).default : [];
  const next = CATALOGS[lang] ? lang : 'en';
  const more = await Promise.all(parts.map((part) => part(next)));
  catalog = new Map(words.map((word, index) => [KEYS[index], word]));
  for (const [keys, said] of more) said.forEach((word, index) => catalog.set(keys[index], word));
  language = next;
  document.documentElement.lang = language;
}

// Add part's words ((lang) => [keys, words]) in the language spoken, now and at every change.
export async function addWords(part) {
  parts.push(part);
  const [keys, said] = await part(language);
  said.forEach((word, index) => catalog.set(keys[index], word));
}

// The language spoken: for Intl's formats.
export function currentLanguage() {
  return language;
}

// Return message in the language spoken, each {name} replaced by values[name] (once: a
// value's own braces are kept as they are).
export function t(message, values) {
  const words = catalog.get(message) ?? message;
  return values ? words.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? '')) : words;
}
