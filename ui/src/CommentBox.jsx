import { useCallback, useEffect, useState } from 'react';
import { closesThread, fetchThread, threadFromAddress } from './api.js';
import CommentList from './CommentList.jsx';
import { useForms } from './forms.js';
import PageComment from './PageComment.jsx';
import { useComments } from './useComments.js';
import { useMyComments } from './useMyComments.js';
import { t } from './i18n.js';

// Whether thread takes no new comments: asked once as the page opens (a named
// thread's GET /api/threads), and learnt from a post the server refused for it.
// Return [closed, learn], learn(error) taking note of a refusal.
function useClosed(thread) {
  const [closed, setClosed] = useState(false);
  useEffect(() => {
    if (!thread) return undefined;
    const controller = new AbortController();
    fetchThread(thread, { signal: controller.signal })
      .then((state) => state?.closed === true && setClosed(true))
      // Unknown: the form stays, and a refused post tells.
      .catch(() => {});
    return () => controller.abort();
  }, [thread]);
  const learn = useCallback((error) => closesThread(error) && setClosed(true), []);
  return [closed, learn];
}

// The page: the thread's comments as a conversation, and the form. thread: the
// thread shown (by default the one ?thread= names in the page's address; null,
// no ?thread=, is the default thread).
export default function CommentBox({ pollInterval, thread: given }) {
  const [thread] = useState(() => (given === undefined ? threadFromAddress() : given));
  const feed = useComments({ pollInterval, thread });
  const { loaded, reconnecting, problem, announce, older, loadingOlder, showOlder } = feed;
  const { shown, canChange, post, edit, remove } = useMyComments(feed, { thread });
  const [closed, learnClosed] = useClosed(thread);
  const forms = useForms();

  const postHere = useCallback(
    async (author, text, extras) => {
      try {
        await post(author, text, extras);
      } catch (error) {
        learnClosed(error);
        throw error;
      }
    },
    [post, learnClosed],
  );

  const renderComment = useCallback(
    (comment, now, { note }) => (
      <PageComment
        comment={comment}
        now={now}
        note={note}
        canChange={!comment.pending && canChange(comment.id)}
        onEdit={(fields) => edit(comment.id, fields)}
        onDelete={() => remove(comment.id)}
        canReply={!closed && !comment.pending && comment.status !== 'pending'}
        onReply={(author, text, extras) => postHere(author, text, { ...extras, parent: comment.id })}
        closed={closed}
      />
    ),
    [canChange, edit, remove, closed, postHere],
  );

  return (
    <main className="comment-box">
      <h1>{t('Comments')}</h1>
      {reconnecting && (
        <p className="notice" role="status">
          {t('Reconnecting to the server…')}
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {t(problem)}
        </p>
      )}
      {/* For screen readers' outline: the comments' author headings (h3) sit under it. */}
      <h2 className="visually-hidden">{t('The conversation')}</h2>
      {older && (
        <button type="button" className="older" onClick={showOlder} disabled={loadingOlder}>
          {t(loadingOlder ? 'Loading older comments…' : 'Older comments')}
        </button>
      )}
      {loaded || shown.length > 0 ? (
        <CommentList comments={shown} renderComment={renderComment} />
      ) : (
        !problem && <p className="empty">{t('Loading comments…')}</p>
      )}
      <div className="visually-hidden" aria-live="polite">
        {/* A new element for each message, so that a repeated one is read again. */}
        <span key={announce.count}>{announce.message && t(announce.message)}</span>
      </div>
      <h2 className="visually-hidden">{t('Add a comment')}</h2>
      {forms && <forms.CommentForm onSubmit={postHere} closed={closed} />}
    </main>
  );
}
