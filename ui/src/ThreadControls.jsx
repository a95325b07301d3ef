// The moderation view's threads: the filter by thread, and the filtered thread's
// state with Close thread / Reopen thread.
import { useEffect, useId, useRef, useState } from 'react';
import { threadAddress } from './moderationApi.js';
import { useThreadState } from './useModeration.js';

// Which thread the list shows: a page's path typed or picked from the threads seen
// (submitted with Enter or Filter), or every thread.
export function ThreadFilter({ thread, seen, onChange }) {
  const [draft, setDraft] = useState(thread ?? '');
  const [error, setError] = useState('');
  const id = useId();
  useEffect(() => setDraft(thread ?? ''), [thread]);

  function submit(event) {
    event.preventDefault();
    const wanted = draft.trim();
    if (wanted && !wanted.startsWith('/')) {
      setError('A thread is a page’s path, starting with / (such as /blog/hello/).');
      return;
    }
    setError('');
    onChange(wanted || null);
  }

  return (
    <form className="toolbar" role="search" aria-label="Threads" onSubmit={submit} noValidate>
      <label htmlFor={`${id}-thread`}>Thread</label>
      <input
        id={`${id}-thread`}
        className="thread-input"
        list={`${id}-threads`}
        value={draft}
        placeholder="every thread"
        onInput={(event) => setDraft(event.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <datalist id={`${id}-threads`}>
        {seen.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <button type="submit" className="secondary">
        Filter
      </button>
      {thread && (
        <button type="button" className="secondary" onClick={() => onChange(null)}>
          Every thread
        </button>
      )}
      {error && (
        <p id={`${id}-error`} className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

// The thread the list shows: open or closed, how many comments it has, and Close
// thread or Reopen thread. focus: take the focus as it opens (the button that asked
// for it has gone).
export function ThreadPanel({ thread, say, focus = false }) {
  const { state, problem, busy, setClosed } = useThreadState(thread);
  const [failure, setFailure] = useState('');
  const heading = useId();
  const headingElement = useRef(null);

  useEffect(() => {
    if (focus) headingElement.current?.focus();
    // Only as the panel opens.
  }, []);

  async function toggle() {
    const closing = !state.closed;
    setFailure('');
    try {
      await setClosed(closing);
      say(closing ? `Closed the thread ${thread}.` : `Reopened the thread ${thread}.`);
    } catch (error) {
      setFailure(error.message);
    }
  }

  const count = state && (state.count === 1 ? '1 comment' : `${state.count} comments`);
  return (
    <section className="thread-panel" aria-labelledby={heading}>
      <h2 id={heading} ref={headingElement} tabIndex={-1}>
        Thread{' '}
        <a href={threadAddress(thread)}>
          <bdi>{thread}</bdi>
        </a>
      </h2>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {state && (
        <>
          <p className="thread-state">
            {state.closed ? 'Closed: it takes no new comments' : 'Open to new comments'} ({count}).
          </p>
          <button type="button" className="secondary" onClick={toggle} disabled={busy}>
            {state.closed ? 'Reopen thread' : 'Close thread'}
          </button>
        </>
      )}
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
    </section>
  );
}
