import { useRef, useState } from 'react';
import Comment, { authorId } from './Comment.jsx';
import ConfirmDelete from './ConfirmDelete.jsx';
import { focusAfterRemoving } from './EditableComment.jsx';

const LABELS = { pending: 'Pending', published: 'Published', hidden: 'Hidden', spam: 'Spam' };

// One comment in the moderation list, with its status and Publish, Hide and
// Delete. onPublish, onHide and onDelete return promises; shows(status) says
// whether the list still shows a comment with that status.
export default function ModerationItem({ comment, now, shows, onPublish, onHide, onDelete, say }) {
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
      footer={footer}
    />
  );
}
