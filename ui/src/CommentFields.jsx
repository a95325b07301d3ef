// The name and comment fields of a form that writes a comment (CommentForm, EditForm):
// each field's errors announced and tied to it, and the hint under the comment while
// it has no error. The form keeps the state; labels and hint are its own words.
export default function CommentFields({
  id,
  labels,
  hint,
  author,
  onAuthorChange,
  text,
  onTextChange,
  onTextKeyDown,
  errors,
  authorInput,
  textInput,
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-author`}>{labels.author}</label>
        <input
          id={`${id}-author`}
          ref={authorInput}
          name="author"
          autoComplete="name"
          value={author}
          onInput={(event) => onAuthorChange(event.target.value)}
          aria-invalid={Boolean(errors.author)}
          aria-describedby={errors.author ? `${id}-author-error` : undefined}
        />
        {errors.author && (
          <p id={`${id}-author-error`} className="error" role="alert">
            {errors.author}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-text`}>{labels.text}</label>
        <textarea
          id={`${id}-text`}
          ref={textInput}
          name="text"
          rows={4}
          value={text}
          onInput={(event) => onTextChange(event.target.value)}
          onKeyDown={onTextKeyDown}
          aria-invalid={Boolean(errors.text)}
          aria-describedby={errors.text ? `${id}-text-error` : `${id}-hint`}
        />
        {errors.text ? (
          <p id={`${id}-text-error`} className="error" role="alert">
            {errors.text}
          </p>
        ) : (
          <p id={`${id}-hint`} className="hint">
            {hint}
          </p>
        )}
      </div>
    </>
  );
}
