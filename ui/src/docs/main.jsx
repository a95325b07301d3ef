import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import ApiReference from './ApiReference.jsx';
import '../styles.css';
import './docs.css';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ApiReference url="/api/openapi.json" />
  </StrictMode>,
);
