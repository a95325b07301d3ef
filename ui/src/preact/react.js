// What the pages use of React, from Preact itself: its hooks and components are React's in
// all the pages rely on, and Preact's compatibility layer (preact/compat) would add 1.2 KB
// brotli of what they do not use (docs/page.md). vite.config.js points 'react' here. Text
// fields listen with onInput, which React and Preact both fire on every keystroke.
export { Component, createElement, createRef, Fragment, Fragment as StrictMode } from 'preact';
export {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from 'preact/hooks';
