import { useId, useRef, useState } from 'react';
import CommentFields from './CommentFields.jsx';

export const LIMITS = { author: 100, text: 10_000 };
const AUTHOR_KEY = 'comments.author';

function storedAuthor() {
  try {
    return localStorage.getItem(AUTHOR_KEY) || '';
  } catch {
    return '';
  }
}

function rememberAuthor(author) {
  try {
    localStorage.setItem(AUTHOR_KEY, author);
  } catch {
    // Private mode or storage full: the name just is not remembered.
  }
}

// Return {field: message} for what the server would refuse anyway.
export function validate(author, text) {
  const errors = {};
  if (!author) errors.author = 'Please enter your name.';
  else if (author.length > LIMITS.author)
    errors.author = `Your name is ${author.length} characters long; the limit is ${LIMITS.author}.`;
  if (!text) errors.text = 'Please write a comment.';
  else if (text.length > LIMITS.text)
    errors.text = `Your comment is ${text.length.toLocaleString('en')} characters long; the limit is ${LIMITS.text.toLocaleString('en')}.`;
  return errors;
}

// Say what the server refused and, when it said so (a 429's Retry-After), when to try again.
export function failureMessage(error) {
  const message = error.message || 'The comment could not be posted.';
  if (error.status !== 429 || !error.retryAfter) return message;
  const at = new Date(Date.now() + error.retryAfter * 1000).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${message}. You can post again at ${at}; your comment is kept here.`;
}

// onSubmit(author, text, {website}) returns a promise: resolved when stored, rejected
// with the reason. website is the honeypot: a field people never see, which bots fill.
export default function CommentForm({ onSubmit }) {
  const [author, setAuthor] = useState(storedAuthor);
  const [text, setText] = useState('');
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState('');
  const [posting, setPosting] = useState(false);
  const id = useId();
  const form = useRef(null);
  const authorInput = useRef(null);
  const textInput = useRef(null);
  const honeypot = useRef(null);

  async function submit(event) {
    event.preventDefault();
    if (posting) return;
    const cleanAuthor = author.trim();
    const cleanText = text.trim();
    const found = validate(cleanAuthor, cleanText);
    setErrors(found);
    setFailure('');
    if (found.author) return authorInput.current.focus();
    if (found.text) return textInput.current.focus();
    setPosting(true);
    rememberAuthor(cleanAuthor);
    try {
      await onSubmit(cleanAuthor, cleanText, { website: honeypot.current?.value || '' });
      setText('');
      textInput.current?.focus();
    } catch (error) {
      setFailure(failureMessage(error));
    } finally {
      setPosting(false);
    }
  }

  function onKeyDown(event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.current.requestSubmit();
    }
  }

  return (
    <form className="comment-form" ref={form} onSubmit={submit} noValidate>
      <CommentFields
        id={id}
        labels={{ author: 'Name', text: 'Comment' }}
        hint="Markdown works. Ctrl+Enter (⌘+Enter) posts."
        author={author}
        onAuthorChange={setAuthor}
        text={text}
        onTextChange={setText}
        onTextKeyDown={onKeyDown}
        errors={errors}
        authorInput={authorInput}
        textInput={textInput}
      />
      {/* The honeypot: off screen, out of the tab order, hidden from screen readers, never autofilled. */}
      <div className="honeypot" aria-hidden="true">
        <label htmlFor={`${id}-website`}>Leave this empty</label>
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
      <button type="submit" disabled={posting}>
        Post
      </button>
    </form>
  );
}
