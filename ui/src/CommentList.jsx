import { useEffect, useState } from 'react';
import Comment from './Comment.jsx';
import CommentBoundary from './CommentBoundary.jsx';

// Re-render now and then so that "3 minutes ago" stays true.
function useNow(interval = 30_000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(timer);
  }, [interval]);
  return now;
}

const plain = (comment, now) => <Comment comment={comment} now={now} />;

// renderComment(comment, now): what each item shows (plain comments unless told).
export default function CommentList({ comments, renderComment = plain, empty = 'No comments yet. Be the first!' }) {
  const now = useNow();
  if (comments.length === 0) {
    return <p className="empty">{empty}</p>;
  }
  return (
    <ol className="comment-list">
      {comments.map((comment, index) => (
        <li key={comment.id ?? `at-${index}`}>
          <CommentBoundary comment={comment}>{renderComment(comment, now)}</CommentBoundary>
        </li>
      ))}
    </ol>
  );
}
