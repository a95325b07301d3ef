import { Component } from 'react';

// One comment that fails to render costs that comment, never the list or the form:
// it is shown as plain text (React escapes it), or as a note if even that fails.
export default class CommentBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { failed: false };
  }

  static getDerivedStateFromError() {
    return { failed: true };
  }

  componentDidCatch(error) {
    console.warn('a comment could not be rendered; showing it as plain text', error);
  }

  render() {
    if (!this.state.failed) return this.props.children;
    const { comment } = this.props;
    return (
      <article className="comment comment-plain">
        <header>
          <h3 className="comment-author">
            <bdi>{String(comment?.author ?? '')}</bdi>
          </h3>
        </header>
        <p className="comment-text" dir="auto">
          {String(comment?.text ?? '')}
        </p>
      </article>
    );
  }
}
