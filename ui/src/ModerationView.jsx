import { useCallback, useEffect, useId, useState } from 'react';
import { threadFromAddress } from './api.js';
import CommentList from './CommentList.jsx';
import ModerationItem from './ModerationItem.jsx';
import { STATUSES } from './moderationApi.js';
import { ThreadFilter, ThreadPanel } from './ThreadControls.jsx';
import { useModeration } from './useModeration.js';

const FILTERS = [
  ['', 'All comments'],
  ['pending', 'Pending'],
  ['published', 'Published'],
  ['hidden', 'Hidden'],
  ['spam', 'Spam'],
];

function filterFromAddress() {
  const status = new URLSearchParams(window.location.search).get('status');
  return STATUSES.includes(status) ? status : '';
}

// /moderate: every comment with its thread and status, filterable by both, with
// Publish, Hide and Delete, and a filtered thread's Close or Reopen.
export default function ModerationView() {
  const [filter, setFilter] = useState(filterFromAddress);
  const [thread, setThread] = useState(() => threadFromAddress());
  const [announce, setAnnounce] = useState({ message: '', count: 0 });
  const { comments, loading, problem, refresh, publish, hide, remove } = useModeration(filter, thread);
  const [seen, setSeen] = useState([]);
  // Whether the thread was chosen from a comment, whose button then goes: the focus moves on.
  const [fromComment, setFromComment] = useState(false);
  const id = useId();

  const say = useCallback((message) => setAnnounce(({ count }) => ({ message, count: count + 1 })), []);

  // The filters live in the address, so that a reload or a bookmark keeps them.
  useEffect(() => {
    const url = new URL(window.location.href);
    if (filter) url.searchParams.set('status', filter);
    else url.searchParams.delete('status');
    if (thread) url.searchParams.set('thread', thread);
    else url.searchParams.delete('thread');
    window.history.replaceState(null, '', url);
  }, [filter, thread]);

  // Every thread the lists have shown, to pick from.
  useEffect(() => {
    const names = (comments ?? []).map((c) => c.thread).filter(Boolean);
    setSeen((known) => {
      const all = [...new Set([...known, ...names])].sort();
      return all.length === known.length ? known : all;
    });
  }, [comments]);

  const shows = useCallback((status) => !filter || status === filter, [filter]);
  const shown = (comments ?? []).filter((c) => shows(c.status));
  const label = FILTERS.find(([value]) => value === filter)[1].toLowerCase();

  const onlyThread = useCallback((name) => {
    setFromComment(true);
    setThread(name);
  }, []);
  const chooseThread = useCallback((name) => {
    setFromComment(false);
    setThread(name);
  }, []);

  const renderComment = useCallback(
    (comment, now) => (
      <ModerationItem
        comment={comment}
        now={now}
        shows={shows}
        say={say}
        onPublish={() => publish(comment.id)}
        onHide={() => hide(comment.id)}
        onDelete={() => remove(comment.id)}
        onFilterThread={thread ? undefined : onlyThread}
      />
    ),
    [shows, say, publish, hide, remove, thread, onlyThread],
  );

  return (
    <main className="comment-box moderation">
      <p className="back">
        <a href="/">← The comments page</a>
      </p>
      <h1>Moderation</h1>
      <div className="toolbar">
        <label htmlFor={`${id}-filter`}>Show</label>
        <select id={`${id}-filter`} value={filter} onChange={(event) => setFilter(event.target.value)}>
          {FILTERS.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={refresh} disabled={loading}>
          Refresh
        </button>
      </div>
      <ThreadFilter thread={thread} seen={seen} onChange={chooseThread} />
      {thread && <ThreadPanel key={thread} thread={thread} say={say} focus={fromComment} />}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {comments === null ? (
        !problem && <p className="empty">Loading comments…</p>
      ) : (
        <>
          <h2 className="visually-hidden">The comments</h2>
          <p className="count">
            {shown.length === 1 ? '1 comment' : `${shown.length} comments`}
            {filter ? ` (${label})` : ''}
            {thread ? ` in ${thread}` : ''}
          </p>
          <CommentList comments={shown} renderComment={renderComment} empty="No comments here." flat />
        </>
      )}
      <div className="visually-hidden" aria-live="polite">
        <span key={announce.count}>{announce.message}</span>
      </div>
    </main>
  );
}
