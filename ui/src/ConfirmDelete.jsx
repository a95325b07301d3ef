import { useEffect, useRef, useState } from 'react';
import { t } from './i18n.js';

// A Delete button that asks first, in place: "Delete this comment?" with
// Delete and Keep. onConfirm() returns a promise that never rejects (the caller
// shows its own failures); while it runs the buttons are disabled. Escape or
// Keep puts the Delete button back, focused. describedBy: the id of what the
// button is about (the comment's author), read with its name.
export default function ConfirmDelete({ onConfirm, question: asked = 'Delete this comment?', describedBy }) {
  const question = t(asked);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const deleteButton = useRef(null);
  const keepButton = useRef(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) keepButton.current?.focus();
    else if (wasAsking.current) deleteButton.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  }

  if (!asking) {
    return (
      <button
        type="button"
        className="secondary"
        ref={deleteButton}
        aria-describedby={describedBy}
        onClick={() => setAsking(true)}
      >
        {t('Delete')}
      </button>
    );
  }
  return (
    <span
      className="confirm"
      role="group"
      aria-label={question}
      onKeyDown={(event) => event.key === 'Escape' && setAsking(false)}
    >
      <span className="confirm-question">{question}</span>
      <button type="button" className="danger" onClick={confirm} disabled={busy}>
        {t('Delete')}
      </button>
      <button type="button" className="secondary" ref={keepButton} onClick={() => setAsking(false)} disabled={busy}>
        {t('Keep')}
      </button>
    </span>
  );
}
