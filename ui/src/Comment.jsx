import { useMemo } from 'react';
import { renderMarkdown } from './markdown.js';
import { exactTime, timeAgo } from './time.js';

// The id of a comment's author heading: its buttons name it as their context.
export function authorId(comment) {
  return `comment-${comment.id}-author`;
}

function validDate(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

// One comment. badge: a word about its state ("Awaiting approval"); body: what
// replaces the text (the edit form); footer: its buttons.
export default function Comment({ comment, now, badge, body, footer, ref }) {
  const html = useMemo(() => renderMarkdown(comment.text), [comment.text]);
  const created = validDate(comment.created);
  const edited = validDate(comment.edited);
  const classes = ['comment', comment.pending && 'pending', comment.status === 'pending' && 'awaiting'];
  return (
    <article
      ref={ref}
      id={comment.pending ? undefined : `comment-${comment.id}`}
      tabIndex={-1}
      className={classes.filter(Boolean).join(' ')}
      aria-busy={comment.pending || undefined}
    >
      <header>
        {/* <bdi> and dir="auto": a name or text in any direction, or holding stray bidi
            controls, is laid out on its own and cannot reorder what is around it. */}
        <h3 className="comment-author" id={comment.pending ? undefined : authorId(comment)}>
          <bdi>{comment.author}</bdi>
        </h3>
        {comment.pending ? (
          <span className="comment-time">posting…</span>
        ) : (
          created && (
            <time className="comment-time" dateTime={comment.created} title={exactTime(created)}>
              {timeAgo(created, now)}
            </time>
          )
        )}
        {edited && (
          <span className="comment-time comment-edited" title={`Edited ${exactTime(edited)}`}>
            (edited)
          </span>
        )}
        {badge && (
          <span className="badge" data-status={comment.status}>
            {badge}
          </span>
        )}
      </header>
      {body ?? (
        // Sanitized by renderMarkdown (DOMPurify): no script, handler or javascript: URL.
        <div className="comment-text" dir="auto" dangerouslySetInnerHTML={{ __html: html }} />
      )}
      {footer}
    </article>
  );
}
