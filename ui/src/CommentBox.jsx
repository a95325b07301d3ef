import { useCallback, useState } from 'react';
import { postComment } from './api.js';
import CommentForm from './CommentForm.jsx';
import CommentList from './CommentList.jsx';
import { useComments } from './useComments.js';

export default function CommentBox({ pollInterval }) {
  const { comments, loaded, reconnecting, problem, announce, accept, addOwn } = useComments({ pollInterval });
  const [pending, setPending] = useState([]);

  const add = useCallback(
    async (author, text) => {
      const temporary = { id: `pending-${crypto.randomUUID()}`, author, text, pending: true };
      setPending((list) => [...list, temporary]);
      try {
        const result = await postComment(author, text);
        if (result.comment) {
          addOwn(result.comment);
          return;
        }
        const stored = result.comments.filter((c) => c.author === author && c.text === text).at(-1);
        accept(result.comments, result.etag, stored?.id);
      } catch (error) {
        if (error.status === 401) throw new Error('Posting needs a login. Reload the page to sign in.');
        throw error;
      } finally {
        setPending((list) => list.filter((c) => c !== temporary));
      }
    },
    [accept, addOwn],
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
      {loaded || pending.length > 0 ? (
        <CommentList comments={[...comments, ...pending]} />
      ) : (
        !problem && <p className="empty">Loading comments…</p>
      )}
      <div className="visually-hidden" aria-live="polite">
        {announce}
      </div>
      <h2 className="visually-hidden">Add a comment</h2>
      <CommentForm onSubmit={add} />
    </main>
  );
}
