// German: the words of keys.js, in its order, each under its English.
export default [
  // (edited)
  '(bearbeitet)',
  // Add a comment
  'Einen Kommentar schreiben',
  // Awaiting approval
  'Wartet auf Freigabe',
  // Comment
  'Kommentar',
  // Comments
  'Kommentare',
  // Delete this comment?
  'Diesen Kommentar löschen?',
  // Edit
  'Bearbeiten',
  // Edited {time}
  'Bearbeitet am {time}',
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
  // Post
  'Senden',
  // Post reply
  'Antwort senden',
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
  // The conversation
  'Die Unterhaltung',
  // The server answered {status}.
  'Der Server antwortete mit {status}.',
  // This page's address names no thread: {thread}
  'Die Adresse dieser Seite nennt keine Diskussion: {thread}',
  // This thread is closed: it takes no new comments.
  'Diese Diskussion ist geschlossen: Sie nimmt keine neuen Kommentare an.',
  // Your comment was changed. It will appear for everyone once a moderator approves it.
  'Ihr Kommentar wurde geändert. Alle sehen ihn, sobald ein Moderator ihn freigibt.',
  // Your comment was received. It will appear for everyone once a moderator approves it.
  'Ihr Kommentar ist angekommen. Alle sehen ihn, sobald ein Moderator ihn freigibt.',
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
];
