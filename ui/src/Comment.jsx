import { useMemo } from 'react';
import { renderMarkdown } from './markdown.js';
import { exactTime, timeAgo } from './time.js';
import { replyNote } from './tree.js';
import { t } from './i18n.js';

// The id of a comment's author heading: its buttons name it as their context.
export function authorId(comment) {
  return `comment-${comment.id}-author`;
}

function validDate(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function Time({ comment, now }) {
  const created = validDate(comment.created);
  return (
    created && (
      <time className="comment-time" dateTime={comment.created} title={exactTime(created)}>
        {timeAgo(created, now)}
      </time>
    )
  );
}

// "in reply to Ann", linking to the comment answered, for a reply whose place in the
// list does not say it (shown at the last level, or its parent not on the page).
export function InReplyTo({ item }) {
  const words = item ? replyNote(item) : null;
  if (!words) return null;
  const answered = item.inReplyTo;
  return (
    <p className="in-reply-to">
      {t('in reply to')}{' '}
      {answered ? (
        <a href={`#comment-${answered.id}`}>
          <bdi>{words}</bdi>
        </a>
      ) : (
        words
      )}
    </p>
  );
}

// The place of a removed comment that has replies: when it was written, nothing of
// who or what, and no buttons; its replies stay under it.
export function RemovedComment({ comment, now, note }) {
  return (
    <article id={`comment-${comment.id}`} tabIndex={-1} className="comment removed">
      <header>
        <h3 className="comment-author" id={authorId(comment)}>
          {t('comment removed')}
        </h3>
        <Time comment={comment} now={now} />
      </header>
      {note}
    </article>
  );
}

// One comment. badge: a word about its state ("Awaiting approval"); note: a line
// under its header (whom it answers); body: what replaces the text (the edit form);
// footer: its buttons.
export default function Comment({ comment, now, badge, note, body, footer, ref }) {
  const html = useMemo(() => renderMarkdown(comment.text), [comment.text]);
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
          <span className="comment-time">{t('posting…')}</span>
        ) : (
          <Time comment={comment} now={now} />
        )}
        {edited && (
          <span className="comment-time comment-edited" title={t('Edited {time}', { time: exactTime(edited) })}>
            {t('(edited)')}
          </span>
        )}
        {badge && (
          <span className="badge" data-status={comment.status}>
            {badge}
          </span>
        )}
      </header>
      {note}
      {body ?? (
        // Sanitized by renderMarkdown (DOMPurify): no script, handler or javascript: URL.
        <div className="comment-text" dir="auto" dangerouslySetInnerHTML={{ __html: html }} />
      )}
      {footer}
    </article>
  );
}
