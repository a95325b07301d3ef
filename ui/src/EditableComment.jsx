import { useLayoutEffect, useRef, useState } from 'react';
import Comment, { authorId } from './Comment.jsx';
import { useForms } from './forms.js';
import { t } from './i18n.js';

// Return a function that moves focus to where it should go once article has
// left the list: the comment after it, else the one before, else the comment it
// answers, else the heading.
export function focusAfterRemoving(article) {
  const item = article?.closest('li');
  const answered = item?.parentElement?.closest('li');
  const neighbours = [item?.nextElementSibling, item?.previousElementSibling, answered].map((li) =>
    li?.querySelector('article'),
  );
  return () => {
    const target = neighbours.find((element) => element?.isConnected) ?? document.querySelector('h1');
    if (!target) return;
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  };
}

// A comment of the page's own: Edit (in place) and Delete while canChange.
// onEdit(fields) and onDelete() return promises rejected with a message.
// actions: buttons every reader has (Reply), shown first; note: whom it answers.
export default function EditableComment({ comment, now, canChange, onEdit, onDelete, actions, note, ref }) {
  const [editing, setEditing] = useState(false);
  const [failure, setFailure] = useState('');
  const own = useRef(null);
  const article = ref ?? own;
  const editButton = useRef(null);
  const forms = useForms();

  const wasEditing = useRef(false);

  // After the form closes, focus goes back to Edit (or, if the comment can no
  // longer be changed, to the comment itself). A layout effect: it runs as the form
  // leaves, not a frame later (Preact runs plain effects after paint).
  useLayoutEffect(() => {
    if (wasEditing.current && !editing) (editButton.current ?? article.current)?.focus();
    wasEditing.current = editing;
  }, [editing]);

  async function save(fields) {
    setFailure('');
    try {
      await onEdit(fields);
    } catch (error) {
      // The token was refused: the form has nothing left to do.
      if (!error.final) throw error;
      setFailure(error.message);
    }
    setEditing(false);
  }

  async function remove() {
    const element = article.current;
    const moveFocus = focusAfterRemoving(element);
    try {
      await onDelete();
      moveFocus();
    } catch (error) {
      setFailure(error.message);
      if (!editButton.current) element?.focus();
    }
  }

  const badge = comment.status === 'pending' ? t('Awaiting approval') : null;
  const footer = (
    <>
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      {comment.status === 'pending' && (
        <p className="hint">{t('Only you can see this comment until a moderator approves it.')}</p>
      )}
      {!editing && (canChange || actions) && (
        <div className="comment-actions">
          {actions}
          {canChange && (
            <>
              <button
                type="button"
                className="secondary"
                ref={editButton}
                aria-describedby={authorId(comment)}
                onClick={() => setEditing(true)}
              >
                {t('Edit')}
              </button>
              {forms && <forms.ConfirmDelete onConfirm={remove} describedBy={authorId(comment)} />}
            </>
          )}
        </div>
      )}
    </>
  );
  const body = editing && forms ? <forms.EditForm comment={comment} onSave={save} onCancel={() => setEditing(false)} /> : undefined;
  return <Comment ref={article} comment={comment} now={now} badge={badge} note={note} body={body} footer={footer} />;
}
