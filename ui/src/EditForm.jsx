import { useEffect, useId, useRef, useState } from 'react';
import CommentFields from './CommentFields.jsx';
import { validate } from './CommentForm.jsx';
import { t } from './i18n.js';

// Edit a comment in place. onSave({author, text}) returns a promise: resolved
// when stored, rejected with the reason (error.fields for refused fields);
// onCancel() leaves the comment as it was. Ctrl+Enter (⌘+Enter) saves, Escape cancels.
export default function EditForm({ comment, onSave, onCancel }) {
  const [author, setAuthor] = useState(comment.author);
  const [text, setText] = useState(comment.text);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState('');
  const [saving, setSaving] = useState(false);
  const id = useId();
  const form = useRef(null);
  const authorInput = useRef(null);
  const textInput = useRef(null);

  useEffect(() => {
    const input = textInput.current;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }, []);

  async function submit(event) {
    event.preventDefault();
    if (saving) return;
    const cleanAuthor = author.trim();
    const cleanText = text.trim();
    const found = validate(cleanAuthor, cleanText);
    setErrors(found);
    setFailure('');
    if (found.author) return authorInput.current.focus();
    if (found.text) return textInput.current.focus();
    const fields = {};
    if (cleanAuthor !== comment.author) fields.author = cleanAuthor;
    if (cleanText !== comment.text) fields.text = cleanText;
    if (Object.keys(fields).length === 0) return onCancel();
    setSaving(true);
    try {
      await onSave(fields);
    } catch (error) {
      const refused = error.fields || {};
      if (refused.author || refused.text) {
        setErrors(refused);
        (refused.author ? authorInput : textInput).current?.focus();
      } else {
        setFailure(error.message || t('The comment could not be changed.'));
      }
      setSaving(false);
    }
  }

  function onKeyDown(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.current.requestSubmit();
    }
  }

  return (
    <form className="comment-form edit-form" ref={form} onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <CommentFields
        id={id}
        labels={{ author: t('Your name'), text: t('Your comment') }}
        hint={t('Ctrl+Enter (⌘+Enter) saves, Escape cancels.')}
        author={author}
        onAuthorChange={setAuthor}
        text={text}
        onTextChange={setText}
        errors={errors}
        authorInput={authorInput}
        textInput={textInput}
      />
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      <div className="buttons">
        <button type="submit" disabled={saving}>
          {t('Save')}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t('Cancel')}
        </button>
      </div>
    </form>
  );
}
