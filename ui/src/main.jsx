import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import CommentBox from './CommentBox.jsx';
import { chooseLanguage, setLanguage } from './i18n.js';
import './styles.css';

// In the language ?lang= names, else the browser's, else English (src/i18n.js).
await setLanguage(chooseLanguage(new URLSearchParams(window.location.search).get('lang')));
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <CommentBox />
  </StrictMode>,
);
