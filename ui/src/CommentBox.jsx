import { useCallback } from 'react';
import CommentForm from './CommentForm.jsx';
import CommentList from './CommentList.jsx';
import EditableComment from './EditableComment.jsx';
import { useComments } from './useComments.js';
import { useMyComments } from './useMyComments.js';

export default function CommentBox({ pollInterval }) {
  const feed = useComments({ pollInterval });
  const { loaded, reconnecting, problem, announce, older, loadingOlder, showOlder } = feed;
  const { shown, canChange, post, edit, remove } = useMyComments(feed);

  const renderComment = useCallback(
    (comment, now) => (
      <EditableComment
        comment={comment}
        now={now}
        canChange={!comment.pending && canChange(comment.id)}
        onEdit={(fields) => edit(comment.id, fields)}
        onDelete={() => remove(comment.id)}
      />
    ),
    [canChange, edit, remove],
  );

  return (
    <main className="comment-box">
      <h1>Comments</h1>
      {reconnecting && (
        <p className="notice" role="status">
          Reconnecting to the server…
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {older && (
        <button type="button" className="older" onClick={showOlder} disabled={loadingOlder}>
          {loadingOlder ? 'Loading older comments…' : 'Older comments'}
        </button>
      )}
      {loaded || shown.length > 0 ? (
        <CommentList comments={shown} renderComment={renderComment} />
      ) : (
        !problem && <p className="empty">Loading comments…</p>
      )}
      <div className="visually-hidden" aria-live="polite">
        {/* A new element for each message, so that a repeated one is read again. */}
        <span key={announce.count}>{announce.message}</span>
      </div>
      <h2 className="visually-hidden">Add a comment</h2>
      <CommentForm onSubmit={post} />
    </main>
  );
}
