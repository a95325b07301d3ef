// French: the words of keys.js, in its order, each under its English.
export default [
  // (edited)
  '(modifié)',
  // Add a comment
  'Ajouter un commentaire',
  // Awaiting approval
  'En attente de validation',
  // Comment
  'Commentaire',
  // Comments
  'Commentaires',
  // Delete this comment?
  'Supprimer ce commentaire ?',
  // Edit
  'Modifier',
  // Edited {time}
  'Modifié le {time}',
  // Loading comments…
  'Chargement des commentaires…',
  // Loading older comments…
  'Chargement des commentaires plus anciens…',
  // Markdown works. Ctrl+Enter (⌘+Enter) posts, Escape cancels.
  'Markdown accepté. Ctrl+Entrée (⌘+Entrée) publie, Échap annule.',
  // Markdown works. Ctrl+Enter (⌘+Enter) posts.
  'Markdown accepté. Ctrl+Entrée (⌘+Entrée) publie.',
  // Name
  'Nom',
  // New comment from {name}.
  'Nouveau commentaire de {name}.',
  // New reply from {name}.
  'Nouvelle réponse de {name}.',
  // No comments yet. Be the first!
  'Pas encore de commentaire. Soyez le premier !',
  // Older comments
  'Commentaires plus anciens',
  // Older comments could not be loaded. Try again.
  'Les commentaires plus anciens n’ont pas pu être chargés. Réessayez.',
  // Only you can see this comment until a moderator approves it.
  'Vous seul voyez ce commentaire jusqu’à ce qu’un modérateur le valide.',
  // Post
  'Publier',
  // Post reply
  'Publier la réponse',
  // Reading and posting comments here needs a login. Reload the page to sign in.
  'Lire et publier des commentaires ici demande une connexion. Rechargez la page pour vous connecter.',
  // Reconnecting to the server…
  'Reconnexion au serveur…',
  // Replies to a removed comment
  'Réponses à un commentaire supprimé',
  // Replies to {name}
  'Réponses à {name}',
  // Reply
  'Répondre',
  // Reply to {name}
  'Répondre à {name}',
  // The conversation
  'La conversation',
  // The server answered {status}.
  'Le serveur a répondu {status}.',
  // This page's address names no thread: {thread}
  'L’adresse de cette page ne nomme aucune discussion : {thread}',
  // This thread is closed: it takes no new comments.
  'Cette discussion est close : elle n’accepte plus de commentaires.',
  // Your comment was changed. It will appear for everyone once a moderator approves it.
  'Votre commentaire a été modifié. Il apparaîtra pour tous dès qu’un modérateur l’aura validé.',
  // Your comment was received. It will appear for everyone once a moderator approves it.
  'Votre commentaire a été reçu. Il apparaîtra pour tous dès qu’un modérateur l’aura validé.',
  // Your reply
  'Votre réponse',
  // a removed comment
  'un commentaire supprimé',
  // an earlier comment
  'un commentaire plus ancien',
  // comment removed
  'commentaire supprimé',
  // in reply to
  'en réponse à',
  // just now
  'à l’instant',
  // posting…
  'publication…',
  // {count} new comments.
  '{count} nouveaux commentaires.',
];
