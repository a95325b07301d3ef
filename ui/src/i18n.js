// The words the comment box says, in the reader's language: English, German or French.
// English is the catalog's key (what the code says, listed in src/messages/keys.js), so the
// English page loads no catalog; another language's words are loaded once, before the first
// render (src/messages/<lang>.js, in the keys' order). The embedded widget's ?lang=
// (embed.js's data-lang) chooses, else the browser's languages, else English.
import KEYS from './messages/keys.js';

export const LANGUAGES = ['en', 'de', 'fr'];

const CATALOGS = {
  de: () => import('./messages/de.js'),
  fr: () => import('./messages/fr.js'),
};

let language = 'en';
let catalog = new Map();

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

// Speak lang from now on (its catalog loaded), and say so on the document.
export async function setLanguage(lang) {
  const words = CATALOGS[lang] ? (await CATALOGS[lang]()).default : [];
  catalog = new Map(words.map((word, index) => [KEYS[index], word]));
  language = CATALOGS[lang] ? lang : 'en';
  document.documentElement.lang = language;
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
