// German: the words of formKeys.js, in its order, each under its English.
export default [
  // Cancel
  'Abbrechen',
  // Changing a comment needs a login. Reload the page to sign in.
  'Zum Ändern eines Kommentars ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Ctrl+Enter (⌘+Enter) saves, Escape cancels.
  'Strg+Enter (⌘+Enter) speichert, Escape bricht ab.',
  // Delete
  'Löschen',
  // Deleting a comment needs a login. Reload the page to sign in.
  'Zum Löschen eines Kommentars ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Email
  'E-Mail',
  // Email me when someone replies
  'Per E-Mail benachrichtigen, wenn jemand antwortet',
  // Keep
  'Behalten',
  // Leave this empty
  'Dieses Feld leer lassen',
  // Optional. Used only to tell you of replies; never shown. Every email has a link to stop them.
  'Optional. Nur für Nachrichten über Antworten, wird nie angezeigt. Jede E-Mail enthält einen Link zum Abbestellen.',
  // Please enter an email address like name@example.org.
  'Bitte geben Sie eine E-Mail-Adresse wie name@example.org ein.',
  // Please enter your name.
  'Bitte geben Sie Ihren Namen ein.',
  // Please write a comment.
  'Bitte schreiben Sie einen Kommentar.',
  // Posting needs a login. Reload the page to sign in.
  'Zum Schreiben ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Save
  'Speichern',
  // The comment could not be changed.
  'Der Kommentar konnte nicht geändert werden.',
  // The comment could not be posted.
  'Der Kommentar konnte nicht gesendet werden.',
  // This comment can no longer be changed from this page (the server said: {reason}).
  'Dieser Kommentar kann von dieser Seite aus nicht mehr geändert werden (der Server sagte: {reason}).',
  // This comment can no longer be changed from this page.
  'Dieser Kommentar kann von dieser Seite aus nicht mehr geändert werden.',
  // This comment can no longer be deleted from this page.
  'Dieser Kommentar kann von dieser Seite aus nicht mehr gelöscht werden.',
  // This comment is no longer there.
  'Diesen Kommentar gibt es nicht mehr.',
  // Your comment
  'Ihr Kommentar',
  // Your comment is {length} characters long; the limit is {limit}.
  'Ihr Kommentar ist {length} Zeichen lang; erlaubt sind {limit}.',
  // Your comment was changed.
  'Ihr Kommentar wurde geändert.',
  // Your comment was deleted.
  'Ihr Kommentar wurde gelöscht.',
  // Your name
  'Ihr Name',
  // Your name is {length} characters long; the limit is {limit}.
  'Ihr Name ist {length} Zeichen lang; erlaubt sind {limit}.',
  // {message}. You can post again at {at}; your comment is kept here.
  '{message}. Sie können um {at} wieder schreiben; Ihr Kommentar bleibt hier erhalten.',
];
