// The forms' words (formKeys.js) in a language: brought by src/formParts.js, after the first
// comments show. English is the keys themselves: no catalog.
import KEYS from './formKeys.js';

const CATALOGS = {
  de: () => import('./forms-de.js'),
  fr: () => import('./forms-fr.js'),
};

// Resolve to [keys, words] in lang.
export default async function formWords(lang) {
  return CATALOGS[lang] ? [KEYS, (await CATALOGS[lang]()).default] : [[], []];
}
