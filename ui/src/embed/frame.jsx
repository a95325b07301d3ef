import { createRoot } from 'react-dom/client';
import CommentBox from '../CommentBox.jsx';
import { chooseLanguage, setLanguage } from '../i18n.js';
import '../styles.css';
import { applyLook, connect, frameOptions } from './connection.js';

// The widget that embed.js frames: the page's comment box for one thread, in the theme and
// language the host page asked for, sized and keeping its tokens through the host.
const options = frameOptions();
const root = document.getElementById('root');
applyLook(options);
connect(root, options.origin);
await setLanguage(chooseLanguage(options.lang));
createRoot(root).render(<CommentBox thread={options.thread} />);
