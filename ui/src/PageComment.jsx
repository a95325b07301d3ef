import { useId, useLayoutEffect, useRef, useState } from 'react';
import { authorId } from './Comment.jsx';
import EditableComment from './EditableComment.jsx';
import { useForms } from './forms.js';
import { t } from './i18n.js';

const REPLY_WORDS = {
  labels: { author: 'Your name', text: 'Your reply' },
  hint: 'Markdown works. Ctrl+Enter (⌘+Enter) posts, Escape cancels.',
  submit: 'Post reply',
};

// A comment on the page: its author's Edit and Delete (EditableComment), and Reply,
// which opens a reply form under it. onReply(author, text, extras) posts the reply
// (a promise, as the page's form takes); canReply: whether it may be answered (not
// while posting or waiting for a moderator, nor in a closed thread); closed: the
// thread is known closed (a reply form already open says so).
export default function PageComment({ comment, now, note, canChange, onEdit, onDelete, canReply, onReply, closed }) {
  const [replying, setReplying] = useState(false);
  const replyButton = useRef(null);
  const article = useRef(null);
  const wasReplying = useRef(false);
  const formId = `${useId()}-reply`;
  const forms = useForms();

  // When the form closes (posted, Cancel or Escape), the focus goes back to Reply,
  // or to the comment when Reply is gone (the thread closed meanwhile). A layout effect:
  // it runs as the form leaves, not a frame later (Preact runs plain effects after paint).
  useLayoutEffect(() => {
    if (wasReplying.current && !replying) (replyButton.current ?? article.current)?.focus();
    wasReplying.current = replying;
  }, [replying]);

  const actions = canReply && (
    <button
      type="button"
      className="secondary"
      ref={replyButton}
      aria-expanded={replying}
      // Only while the form is there: an idref must name an element that exists.
      aria-controls={replying ? formId : undefined}
      aria-describedby={authorId(comment)}
      onClick={() => setReplying((open) => !open)}
    >
      {t('Reply')}
    </button>
  );

  return (
    <>
      <EditableComment
        ref={article}
        comment={comment}
        now={now}
        note={note}
        canChange={canChange}
        onEdit={onEdit}
        onDelete={onDelete}
        actions={actions || null}
      />
      {replying && forms && (
        <forms.CommentForm
          formId={formId}
          label={{ words: 'Reply to {name}', values: { name: comment.author } }}
          words={REPLY_WORDS}
          onSubmit={onReply}
          onPosted={() => setReplying(false)}
          onCancel={() => setReplying(false)}
          closed={closed}
        />
      )}
    </>
  );
}
