// French: the words of formKeys.js, in its order, each under its English.
export default [
  // Cancel
  'Annuler',
  // Changing a comment needs a login. Reload the page to sign in.
  'Modifier un commentaire demande une connexion. Rechargez la page pour vous connecter.',
  // Ctrl+Enter (⌘+Enter) saves, Escape cancels.
  'Ctrl+Entrée (⌘+Entrée) enregistre, Échap annule.',
  // Delete
  'Supprimer',
  // Deleting a comment needs a login. Reload the page to sign in.
  'Supprimer un commentaire demande une connexion. Rechargez la page pour vous connecter.',
  // Email
  'E-mail',
  // Email me when someone replies
  'Me prévenir par e-mail quand quelqu’un répond',
  // Keep
  'Garder',
  // Leave this empty
  'Laissez ce champ vide',
  // Optional. Used only to tell you of replies; never shown. Every email has a link to stop them.
  'Facultatif. Sert uniquement à vous prévenir des réponses ; jamais affiché. Chaque e-mail contient un lien pour ne plus en recevoir.',
  // Please enter an email address like name@example.org.
  'Veuillez saisir une adresse e-mail comme nom@example.org.',
  // Please enter your name.
  'Veuillez saisir votre nom.',
  // Please write a comment.
  'Veuillez écrire un commentaire.',
  // Posting needs a login. Reload the page to sign in.
  'Publier demande une connexion. Rechargez la page pour vous connecter.',
  // Save
  'Enregistrer',
  // The comment could not be changed.
  'Le commentaire n’a pas pu être modifié.',
  // The comment could not be posted.
  'Le commentaire n’a pas pu être publié.',
  // This comment can no longer be changed from this page (the server said: {reason}).
  'Ce commentaire ne peut plus être modifié depuis cette page (le serveur a dit : {reason}).',
  // This comment can no longer be changed from this page.
  'Ce commentaire ne peut plus être modifié depuis cette page.',
  // This comment can no longer be deleted from this page.
  'Ce commentaire ne peut plus être supprimé depuis cette page.',
  // This comment is no longer there.
  'Ce commentaire n’existe plus.',
  // Your comment
  'Votre commentaire',
  // Your comment is {length} characters long; the limit is {limit}.
  'Votre commentaire fait {length} caractères ; la limite est de {limit}.',
  // Your comment was changed.
  'Votre commentaire a été modifié.',
  // Your comment was deleted.
  'Votre commentaire a été supprimé.',
  // Your name
  'Votre nom',
  // Your name is {length} characters long; the limit is {limit}.
  'Votre nom fait {length} caractères ; la limite est de {limit}.',
  // {message}. You can post again at {at}; your comment is kept here.
  '{message}. Vous pourrez publier de nouveau à {at} ; votre commentaire est gardé ici.',
];
