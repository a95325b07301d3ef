import { useRef, useState } from 'react';
import Comment, { authorId } from './Comment.jsx';
import ConfirmDelete from './ConfirmDelete.jsx';
import { focusAfterRemoving } from './EditableComment.jsx';
import { threadAddress } from './moderationApi.js';

const LABELS = { pending: 'Pending', published: 'Published', hidden: 'Hidden', spam: 'Spam' };

// Which thread a comment is in: a link to its page, and a button that shows only
// that thread here (onFilter(thread); none when the list shows only it already).
function ThreadLine({ comment, onFilter }) {
  const { thread } = comment;
  if (!thread) return <p className="thread">In the default thread</p>;
  return (
    <p className="thread">
      In thread{' '}
      <a href={threadAddress(thread)}>
        <bdi>{thread}</bdi>
      </a>
      {onFilter && (
        <button
          type="button"
          className="secondary"
          aria-describedby={authorId(comment)}
          onClick={() => onFilter(thread)}
        >
          Only this thread
        </button>
      )}
    </p>
  );
}

// One comment in the moderation list, with its thread, its status and Publish, Hide
// and Delete. onPublish, onHide and onDelete return promises; shows(status) says
// whether the list still shows a comment with that status; onFilterThread(thread)
// shows only the comment's thread (not given while the list shows only that one).
export default function ModerationItem({ comment, now, shows, onPublish, onHide, onDelete, onFilterThread, say }) {
  const [failure, setFailure] = useState('');
  const [busy, setBusy] = useState(false);
  const article = useRef(null);

  // status: the comment's new one, or null when it is deleted.
  async function act(action, status, done) {
    const leaves = status === null || !shows(status);
    const moveFocus = leaves ? focusAfterRemoving(article.current) : () => {};
    setBusy(true);
    setFailure('');
    try {
      await action();
      say(`${done} the comment by ${comment.author}.`);
      moveFocus();
    } catch (error) {
      setFailure(error.message);
    } finally {
      setBusy(false);
    }
  }

  const footer = (
    <>
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      <div className="comment-actions">
        {comment.status !== 'published' && (
          <button
            type="button"
            disabled={busy}
            aria-describedby={authorId(comment)}
            onClick={() => act(onPublish, 'published', 'Published')}
          >
            Publish
          </button>
        )}
        {comment.status !== 'hidden' && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-describedby={authorId(comment)}
            onClick={() => act(onHide, 'hidden', 'Hid')}
          >
            Hide
          </button>
        )}
        <ConfirmDelete onConfirm={() => act(onDelete, null, 'Deleted')} describedBy={authorId(comment)} />
      </div>
    </>
  );
  return (
    <Comment
      ref={article}
      comment={comment}
      now={now}
      badge={LABELS[comment.status] ?? comment.status}
      note={<ThreadLine comment={comment} onFilter={onFilterThread} />}
      footer={footer}
    />
  );
}
