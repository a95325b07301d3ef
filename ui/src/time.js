// "3 minutes ago", in the language the page speaks (Intl.RelativeTimeFormat).
import { currentLanguage, t } from './i18n.js';

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

// One pair of formats per language spoken, made when first needed.
const formats = new Map();

function formatsFor(language) {
  if (!formats.has(language)) {
    formats.set(language, {
      relative: new Intl.RelativeTimeFormat(language, { numeric: 'auto' }),
      exact: new Intl.DateTimeFormat(language, { dateStyle: 'full', timeStyle: 'long' }),
    });
  }
  return formats.get(language);
}

export function timeAgo(date, now = Date.now()) {
  const { relative } = formatsFor(currentLanguage());
  const seconds = Math.round((date.getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return Math.abs(seconds) < 45 ? t('just now') : relative.format(seconds, 'second');
}

export function exactTime(date) {
  return formatsFor(currentLanguage()).exact.format(date);
}
