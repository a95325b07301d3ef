import { useEffect, useMemo, useState } from 'react';
import Comment, { InReplyTo, RemovedComment } from './Comment.jsx';
import CommentBoundary from './CommentBoundary.jsx';
import { isPlaceholder, threadItems } from './tree.js';
import { t } from './i18n.js';

// Re-render now and then so that "3 minutes ago" stays true.
function useNow(interval = 30_000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(timer);
  }, [interval]);
  return now;
}

const plain = (comment, now, { note }) => <Comment comment={comment} now={now} note={note} />;

const flatItems = (comments) => comments.map((comment) => ({ comment, replies: [], inReplyTo: null, orphan: false }));

// Whom a list of replies answers, for screen readers moving between lists.
function repliesLabel(comment) {
  return isPlaceholder(comment) ? t('Replies to a removed comment') : t('Replies to {name}', { name: comment.author });
}

// One level of the conversation: an ordered list, each item holding its comment and
// the list of replies to it (nested lists: what screen readers announce as levels).
function Items({ items, now, renderComment, className, label }) {
  return (
    <ol className={className} aria-label={label}>
      {items.map((item, index) => {
        const { comment } = item;
        const note = <InReplyTo item={item} />;
        return (
          <li key={comment.id ?? `at-${index}`}>
            <CommentBoundary comment={comment}>
              {isPlaceholder(comment) ? (
                <RemovedComment comment={comment} now={now} note={note} />
              ) : (
                renderComment(comment, now, { note })
              )}
            </CommentBoundary>
            {item.replies.length > 0 && (
              <Items
                items={item.replies}
                now={now}
                renderComment={renderComment}
                className="comment-list replies"
                label={repliesLabel(comment)}
              />
            )}
          </li>
        );
      })}
    </ol>
  );
}

// renderComment(comment, now, {note}): what each comment shows (plain comments unless
// told; note says whom a reply answers when its place does not). Replies (a parent)
// are nested under the comment they answer, unless flat (the moderation list).
export default function CommentList({
  comments,
  renderComment = plain,
  empty = 'No comments yet. Be the first!',
  flat = false,
}) {
  const now = useNow();
  const items = useMemo(() => (flat ? flatItems(comments) : threadItems(comments)), [comments, flat]);
  if (comments.length === 0) {
    return <p className="empty">{t(empty)}</p>;
  }
  return <Items items={items} now={now} renderComment={renderComment} className="comment-list" />;
}
