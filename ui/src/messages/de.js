// German: the words of keys.js, in its order, each under its English.
export default [
  // (edited)
  '(bearbeitet)',
  // Add a comment
  'Einen Kommentar schreiben',
  // Awaiting approval
  'Wartet auf Freigabe',
  // Cancel
  'Abbrechen',
  // Changing a comment needs a login. Reload the page to sign in.
  'Zum Ändern eines Kommentars ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Comment
  'Kommentar',
  // Comments
  'Kommentare',
  // Ctrl+Enter (⌘+Enter) saves, Escape cancels.
  'Strg+Enter (⌘+Enter) speichert, Escape bricht ab.',
  // Delete
  'Löschen',
  // Delete this comment?
  'Diesen Kommentar löschen?',
  // Deleting a comment needs a login. Reload the page to sign in.
  'Zum Löschen eines Kommentars ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Edit
  'Bearbeiten',
  // Edited {time}
  'Bearbeitet am {time}',
  // Keep
  'Behalten',
  // Leave this empty
  'Dieses Feld leer lassen',
  // Loading comments…
  'Kommentare werden geladen …',
  // Loading older comments…
  'Ältere Kommentare werden geladen …',
  // Markdown works. Ctrl+Enter (⌘+Enter) posts, Escape cancels.
  'Markdown ist möglich. Strg+Enter (⌘+Enter) sendet, Escape bricht ab.',
  // Markdown works. Ctrl+Enter (⌘+Enter) posts.
  'Markdown ist möglich. Strg+Enter (⌘+Enter) sendet.',
  // Name
  'Name',
  // New comment from {name}.
  'Neuer Kommentar von {name}.',
  // New reply from {name}.
  'Neue Antwort von {name}.',
  // No comments yet. Be the first!
  'Noch keine Kommentare. Schreiben Sie den ersten!',
  // Older comments
  'Ältere Kommentare',
  // Older comments could not be loaded. Try again.
  'Ältere Kommentare konnten nicht geladen werden. Versuchen Sie es noch einmal.',
  // Only you can see this comment until a moderator approves it.
  'Nur Sie sehen diesen Kommentar, bis ein Moderator ihn freigibt.',
  // Please enter your name.
  'Bitte geben Sie Ihren Namen ein.',
  // Please write a comment.
  'Bitte schreiben Sie einen Kommentar.',
  // Post
  'Senden',
  // Post reply
  'Antwort senden',
  // Posting needs a login. Reload the page to sign in.
  'Zum Schreiben ist eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Reading and posting comments here needs a login. Reload the page to sign in.
  'Zum Lesen und Schreiben von Kommentaren ist hier eine Anmeldung nötig. Laden Sie die Seite neu, um sich anzumelden.',
  // Reconnecting to the server…
  'Verbindung zum Server wird wiederhergestellt …',
  // Replies to a removed comment
  'Antworten auf einen entfernten Kommentar',
  // Replies to {name}
  'Antworten an {name}',
  // Reply
  'Antworten',
  // Reply to {name}
  'Antwort an {name}',
  // Save
  'Speichern',
  // The comment could not be changed.
  'Der Kommentar konnte nicht geändert werden.',
  // The comment could not be posted.
  'Der Kommentar konnte nicht gesendet werden.',
  // The conversation
  'Die Unterhaltung',
  // The server answered {status}.
  'Der Server antwortete mit {status}.',
  // This comment can no longer be changed from this page (the server said: {reason}).
  'Dieser Kommentar kann von dieser Seite aus nicht mehr geändert werden (der Server sagte: {reason}).',
  // This comment can no longer be changed from this page.
  'Dieser Kommentar kann von dieser Seite aus nicht mehr geändert werden.',
  // This comment can no longer be deleted from this page.
  'Dieser Kommentar kann von dieser Seite aus nicht mehr gelöscht werden.',
  // This comment is no longer there.
  'Diesen Kommentar gibt es nicht mehr.',
  // This page's address names no thread: {thread}
  'Die Adresse dieser Seite nennt keine Diskussion: {thread}',
  // This thread is closed: it takes no new comments.
  'Diese Diskussion ist geschlossen: Sie nimmt keine neuen Kommentare an.',
  // Your comment
  'Ihr Kommentar',
  // Your comment is {length} characters long; the limit is {limit}.
  'Ihr Kommentar ist {length} Zeichen lang; erlaubt sind {limit}.',
  // Your comment was changed.
  'Ihr Kommentar wurde geändert.',
  // Your comment was changed. It will appear for everyone once a moderator approves it.
  'Ihr Kommentar wurde geändert. Alle sehen ihn, sobald ein Moderator ihn freigibt.',
  // Your comment was deleted.
  'Ihr Kommentar wurde gelöscht.',
  // Your comment was received. It will appear for everyone once a moderator approves it.
  'Ihr Kommentar ist angekommen. Alle sehen ihn, sobald ein Moderator ihn freigibt.',
  // Your name
  'Ihr Name',
  // Your name is {length} characters long; the limit is {limit}.
  'Ihr Name ist {length} Zeichen lang; erlaubt sind {limit}.',
  // Your reply
  'Ihre Antwort',
  // a removed comment
  'einen entfernten Kommentar',
  // an earlier comment
  'einen früheren Kommentar',
  // comment removed
  'Kommentar entfernt',
  // in reply to
  'Antwort auf',
  // just now
  'gerade eben',
  // posting…
  'wird gesendet …',
  // {count} new comments.
  '{count} neue Kommentare.',
  // {message}. You can post again at {at}; your comment is kept here.
  '{message}. Sie können um {at} wieder schreiben; Ihr Kommentar bleibt hier erhalten.',
];
