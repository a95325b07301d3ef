// The messages only the forms and the calls that write say (src/formParts.js), in English:
// the keys of the forms' catalogs (forms-de.js, forms-fr.js), loaded with the forms after the
// first comments show, so the widget's first comment waits for none of their words
// (docs/page.md). src/messages.test.jsx checks that no other code says them.
export default [
  'Cancel',
  'Changing a comment needs a login. Reload the page to sign in.',
  'Ctrl+Enter (⌘+Enter) saves, Escape cancels.',
  'Delete',
  'Deleting a comment needs a login. Reload the page to sign in.',
  'Email',
  'Email me when someone replies',
  'Keep',
  'Leave this empty',
  'Optional. Used only to tell you of replies; never shown. Every email has a link to stop them.',
  'Please enter an email address like name@example.org.',
  'Please enter your name.',
  'Please write a comment.',
  'Posting needs a login. Reload the page to sign in.',
  'Save',
  'The comment could not be changed.',
  'The comment could not be posted.',
  'This comment can no longer be changed from this page (the server said: {reason}).',
  'This comment can no longer be changed from this page.',
  'This comment can no longer be deleted from this page.',
  'This comment is no longer there.',
  'Your comment',
  'Your comment is {length} characters long; the limit is {limit}.',
  'Your comment was changed.',
  'Your comment was deleted.',
  'Your name',
  'Your name is {length} characters long; the limit is {limit}.',
  '{message}. You can post again at {at}; your comment is kept here.',
];
