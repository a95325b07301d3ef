// What src/forms.js loads after the first render: the forms, their words and the calls that write.
export { default as CommentForm } from './CommentForm.jsx';
export { default as ConfirmDelete } from './ConfirmDelete.jsx';
export { default as EditForm } from './EditForm.jsx';
export { editMine, postMine, removeMine } from './writes.js';
export { default as formWords } from './messages/forms.js';
