import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import CommentBox from './CommentBox.jsx';
import './styles.css';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <CommentBox />
  </StrictMode>,
);
