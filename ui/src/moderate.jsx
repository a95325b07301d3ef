import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import ModerationView from './ModerationView.jsx';
import './styles.css';
import './moderation.css';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ModerationView />
  </StrictMode>,
);
