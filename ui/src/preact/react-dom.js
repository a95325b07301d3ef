// What the pages (and Testing Library) use of react-dom and react-dom/client, from Preact.
import { render } from 'preact';

// Return a root that renders into container, as react-dom/client's does.
export function createRoot(container) {
  return {
    render: (children) => render(children, container),
    unmount: () => render(null, container),
  };
}

export default { createRoot };
