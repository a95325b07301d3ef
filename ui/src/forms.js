// The forms (post, reply, edit, delete) and the calls that write come in a chunk of their
// own, asked for once the box has rendered: the first comments wait for no form's code (the widget's weight before
// its first comment, docs/page.md).
import { useEffect, useState } from 'react';
import { addWords } from './i18n.js';

let loaded = null;
let loading = null;

// Return a promise of the forms' module, fetched once, with their words in the language spoken.
export function loadForms() {
  loading ??= import('./formParts.js').then(async (forms) => {
    await addWords(forms.formWords);
    loaded = forms;
    return forms;
  });
  return loading;
}

// Return the forms' module ({CommentForm, EditForm, ConfirmDelete, postComment, editComment,
// deleteComment}), or null until it is here.
export function useForms() {
  const [forms, setForms] = useState(loaded);
  useEffect(() => {
    if (forms) return undefined;
    let live = true;
    loadForms().then((module) => live && setForms(module));
    return () => {
      live = false;
    };
  }, [forms]);
  return forms;
}
