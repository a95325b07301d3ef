import { t } from './i18n.js';

export const EMAIL_LIMIT = 254;

// The optional email of a new comment and the choice to hear of replies (CommentForm): the
// choice only once an address is typed, and a note of what the address is used for, which
// both fields name as their description. The form keeps the state.
export default function EmailFields({ id, email, onEmailChange, notify, onNotifyChange, error, emailInput }) {
  const help = `${id}-email-help`;
  const typed = email.trim() !== '';
  return (
    <div className="field">
      <label htmlFor={`${id}-email`}>{t('Email')}</label>
      <input
        id={`${id}-email`}
        ref={emailInput}
        name="email"
        type="email"
        autoComplete="email"
        maxLength={EMAIL_LIMIT}
        value={email}
        onInput={(event) => onEmailChange(event.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-email-error ${help}` : help}
      />
      {error && (
        <p id={`${id}-email-error`} className="error" role="alert">
          {error}
        </p>
      )}
      <label className="check" htmlFor={`${id}-notify`}>
        <input
          id={`${id}-notify`}
          name="notify_replies"
          type="checkbox"
          checked={typed && notify}
          disabled={!typed}
          onChange={(event) => onNotifyChange(event.target.checked)}
          aria-describedby={help}
        />
        {t('Email me when someone replies')}
      </label>
      <p id={help} className="hint">
        {t('Optional. Used only to tell you of replies; never shown. Every email has a link to stop them.')}
      </p>
    </div>
  );
}
