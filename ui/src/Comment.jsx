import { useMemo } from 'react';
import { renderMarkdown } from './markdown.js';
import { exactTime, timeAgo } from './time.js';

export default function Comment({ comment, now }) {
  const html = useMemo(() => renderMarkdown(comment.text), [comment.text]);
  const created = comment.created ? new Date(comment.created) : null;
  const hasTime = created && !Number.isNaN(created.getTime());
  return (
    <article className={comment.pending ? 'comment pending' : 'comment'} aria-busy={comment.pending || undefined}>
      <header>
        {/* <bdi> and dir="auto": a name or text in any direction, or holding stray bidi
            controls, is laid out on its own and cannot reorder what is around it. */}
        <h3 className="comment-author">
          <bdi>{comment.author}</bdi>
        </h3>
        {comment.pending ? (
          <span className="comment-time">posting…</span>
        ) : (
          hasTime && (
            <time className="comment-time" dateTime={comment.created} title={exactTime(created)}>
              {timeAgo(created, now)}
            </time>
          )
        )}
      </header>
      {/* Sanitized by renderMarkdown (DOMPurify): no script, handler or javascript: URL. */}
      <div className="comment-text" dir="auto" dangerouslySetInnerHTML={{ __html: html }} />
    </article>
  );
}
