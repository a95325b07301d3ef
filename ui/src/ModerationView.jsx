import { useCallback, useEffect, useId, useState } from 'react';
import CommentList from './CommentList.jsx';
import ModerationItem from './ModerationItem.jsx';
import { STATUSES } from './moderationApi.js';
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

// /moderate: every comment with its status, filterable, with Publish, Hide and Delete.
export default function ModerationView() {
  const [filter, setFilter] = useState(filterFromAddress);
  const [announce, setAnnounce] = useState({ message: '', count: 0 });
  const { comments, loading, problem, refresh, publish, hide, remove } = useModeration(filter);
  const id = useId();

  const say = useCallback((message) => setAnnounce(({ count }) => ({ message, count: count + 1 })), []);

  // The filter lives in the address, so that a reload or a bookmark keeps it.
  useEffect(() => {
    const url = new URL(window.location.href);
    if (filter) url.searchParams.set('status', filter);
    else url.searchParams.delete('status');
    window.history.replaceState(null, '', url);
  }, [filter]);

  const shows = useCallback((status) => !filter || status === filter, [filter]);
  const shown = (comments ?? []).filter((c) => shows(c.status));
  const label = FILTERS.find(([value]) => value === filter)[1].toLowerCase();

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
      />
    ),
    [shows, say, publish, hide, remove],
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
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {comments === null ? (
        !problem && <p className="empty">Loading comments…</p>
      ) : (
        <>
          <p className="count">
            {shown.length === 1 ? '1 comment' : `${shown.length} comments`}
            {filter ? ` (${label})` : ''}
          </p>
          <CommentList comments={shown} renderComment={renderComment} empty="No comments here." />
        </>
      )}
      <div className="visually-hidden" aria-live="polite">
        <span key={announce.count}>{announce.message}</span>
      </div>
    </main>
  );
}
