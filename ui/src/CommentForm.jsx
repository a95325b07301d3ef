import { useEffect, useId, useRef, useState } from 'react';
import CommentFields from './CommentFields.jsx';
import EmailFields from './EmailFields.jsx';
import { currentLanguage, t } from './i18n.js';

export const LIMITS = { author: 100, text: 10_000 };
export const CLOSED_NOTE = 'This thread is closed: it takes no new comments.';
// What the form remembers in this browser for the next comment: the name, and the email
// (the person's own, kept on their device like the name; the page never shows it to others).
const AUTHOR_KEY = 'comments.author';
const EMAIL_KEY = 'comments.email';

function stored(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage full: the value just is not remembered.
  }
}

// Return {field: message} for what the server would refuse anyway. The email is optional,
// checked loosely here (something@something): the server has the last word.
export function validate(author, text, email = '') {
  const errors = {};
  const number = (n) => n.toLocaleString(currentLanguage());
  if (!author) errors.author = t('Please enter your name.');
  else if (author.length > LIMITS.author)
    errors.author = t('Your name is {length} characters long; the limit is {limit}.', {
      length: number(author.length),
      limit: number(LIMITS.author),
    });
  if (!text) errors.text = t('Please write a comment.');
  else if (text.length > LIMITS.text)
    errors.text = t('Your comment is {length} characters long; the limit is {limit}.', {
      length: number(text.length),
      limit: number(LIMITS.text),
    });
  if (email && !/^[^\s@]+@[^\s@]+$/.test(email))
    errors.email = t('Please enter an email address like name@example.org.');
  return errors;
}

// Say what the server refused and, when it said so (a 429's Retry-After), when to try again.
// A refused reply or thread says which (fields.parent, fields.thread).
export function failureMessage(error) {
  const refused = error.fields?.parent || error.fields?.thread;
  const message = (typeof refused === 'string' && refused) || error.message || t('The comment could not be posted.');
  if (error.status !== 429 || !error.retryAfter) return message;
  const at = new Date(Date.now() + error.retryAfter * 1000).toLocaleTimeString(currentLanguage(), {
    hour: '2-digit',
    minute: '2-digit',
  });
  return t('{message}. You can post again at {at}; your comment is kept here.', { message: t(message), at });
}

const MAIN = {
  labels: { author: 'Name', text: 'Comment' },
  hint: 'Markdown works. Ctrl+Enter (⌘+Enter) posts.',
  submit: 'Post',
};

// onSubmit(author, text, {website, email, notifyReplies}) returns a promise: resolved when
// stored, rejected with the reason. website is the honeypot: a field people never see, which
// bots fill; email ('' when none) and notifyReplies, whether to mail that address of replies.
// The page's form unless told: a reply form gives its words (labels, hint, submit,
// label: the form's name), onPosted() (instead of staying for the next comment) and
// onCancel() (a Cancel button and Escape), and takes the focus when it opens.
// closed: the thread takes no new comments: the form says so and posts nothing;
// it goes (a Cancel button kept) unless it holds words the person may want to copy.
export default function CommentForm({
  onSubmit,
  words = MAIN,
  label,
  formId,
  onPosted,
  onCancel,
  closed = false,
}) {
  const [author, setAuthor] = useState(() => stored(AUTHOR_KEY));
  const [text, setText] = useState('');
  const [email, setEmail] = useState(() => stored(EMAIL_KEY));
  const [notify, setNotify] = useState(false);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState('');
  const [posting, setPosting] = useState(false);
  const id = useId();
  const form = useRef(null);
  const authorInput = useRef(null);
  const textInput = useRef(null);
  const emailInput = useRef(null);
  const honeypot = useRef(null);
  // Whether the form still shows once the thread is known closed: only with words in it.
  const [keptOpen, setKeptOpen] = useState(null);
  if (closed && keptOpen === null) setKeptOpen(text.trim() !== '');
  else if (!closed && keptOpen !== null) setKeptOpen(null);

  // A reply form opens with the focus: on the reply, or on the name when none is known.
  useEffect(() => {
    if (!onCancel) return;
    (authorInput.current?.value ? textInput.current : authorInput.current)?.focus();
    // Only as the form opens: not again when the parent passes a new onCancel.
  }, []);

  async function submit(event) {
    event.preventDefault();
    if (posting || closed) return;
    const cleanAuthor = author.trim();
    const cleanText = text.trim();
    const cleanEmail = email.trim();
    const found = validate(cleanAuthor, cleanText, cleanEmail);
    setErrors(found);
    setFailure('');
    if (found.author) return authorInput.current.focus();
    if (found.text) return textInput.current.focus();
    if (found.email) return emailInput.current.focus();
    setPosting(true);
    remember(AUTHOR_KEY, cleanAuthor);
    remember(EMAIL_KEY, cleanEmail);
    const website = honeypot.current?.value || '';
    try {
      const notifyReplies = cleanEmail !== '' && notify;
      await onSubmit(cleanAuthor, cleanText, { website, email: cleanEmail, notifyReplies });
      // The email stays, as the name does: people post again.
      setText('');
      if (onPosted) onPosted();
      else textInput.current?.focus();
    } catch (error) {
      refused(error);
    } finally {
      setPosting(false);
    }
  }

  // A refused email is said beside its field (the server's reason); anything else above the buttons.
  function refused(error) {
    const reason = error.fields?.email;
    if (typeof reason !== 'string') return setFailure(failureMessage(error));
    setErrors({ email: reason });
    emailInput.current?.focus();
  }

  function onFormKeyDown(event) {
    if (event.key === 'Escape' && onCancel) {
      event.preventDefault();
      onCancel();
    }
  }

  function onKeyDown(event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.current.requestSubmit();
    }
  }

  const cancel = onCancel && (
    <button type="button" className="secondary" onClick={onCancel}>
      {t('Cancel')}
    </button>
  );
  const submitButton = (
    <button type="submit" disabled={posting || closed}>
      {t(words.submit)}
    </button>
  );
  if (closed && !keptOpen) {
    return (
      <div className="closed-note" id={formId} onKeyDown={onFormKeyDown}>
        <p className="notice">{t(CLOSED_NOTE)}</p>
        {cancel}
      </div>
    );
  }

  return (
    <form
      className={onCancel ? 'comment-form reply-form' : 'comment-form'}
      id={formId}
      aria-label={label && t(label.words, label.values)}
      ref={form}
      onSubmit={submit}
      onKeyDown={onFormKeyDown}
      noValidate
    >
      <CommentFields
        id={id}
        labels={{ author: t(words.labels.author), text: t(words.labels.text) }}
        hint={t(words.hint)}
        author={author}
        onAuthorChange={setAuthor}
        text={text}
        onTextChange={setText}
        onTextKeyDown={onKeyDown}
        errors={errors}
        authorInput={authorInput}
        textInput={textInput}
      />
      <EmailFields
        id={id}
        email={email}
        onEmailChange={setEmail}
        notify={notify}
        onNotifyChange={setNotify}
        error={errors.email}
        emailInput={emailInput}
      />
      {/* The honeypot: off screen, out of the tab order, hidden from screen readers, never autofilled. */}
      <div className="honeypot" aria-hidden="true">
        <label htmlFor={`${id}-website`}>{t('Leave this empty')}</label>
        <input
          id={`${id}-website`}
          ref={honeypot}
          name="website"
          type="text"
          tabIndex={-1}
          autoComplete="off"
          defaultValue=""
        />
      </div>
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      {closed && !failure && <p className="notice">{t(CLOSED_NOTE)}</p>}
      {cancel ? (
        <div className="buttons">
          {submitButton}
          {cancel}
        </div>
      ) : (
        submitButton
      )}
    </form>
  );
}
