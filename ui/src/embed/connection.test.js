import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadMine, resetMemory, saveMine } from '../myComments.js';
import { connect, frameOptions, fromHost, plainOrigin } from './connection.js';

const HOST = 'https://blog.example';

afterEach(() => {
  resetMemory();
  vi.unstubAllGlobals();
});

// A stand-in for the host page's window: what the frame posts to it.
function fakeHost() {
  return { sent: [], postMessage(message, origin) { this.sent.push({ message, origin }); } };
}

describe('the widget frame', () => {
  it('reads what to show from its address, refusing what is not an origin', () => {
    expect(frameOptions('?thread=%2Fpost%2F1&theme=dark&lang=de&origin=https%3A%2F%2Fblog.example')).toEqual({
      thread: '/post/1',
      theme: 'dark',
      lang: 'de',
      origin: HOST,
      accent: null,
      font: null,
    });
    expect(frameOptions('')).toMatchObject({ thread: '/', theme: 'auto', lang: null, origin: null });
    expect(frameOptions('?theme=purple').theme).toBe('auto');
    for (const bad of ['https://blog.example/', 'https://blog.example/x', 'javascript:alert(1)', 'null', '*', '']) {
      expect(plainOrigin(bad)).toBeNull();
    }
  });

  it('heeds a message only from its parent window at the host origin', () => {
    const host = fakeHost();
    expect(fromHost({ source: host, origin: HOST }, host, HOST)).toBe(true);
    expect(fromHost({ source: host, origin: 'https://evil.example' }, host, HOST)).toBe(false);
    expect(fromHost({ source: {}, origin: HOST }, host, HOST)).toBe(false);
    expect(fromHost({ source: host, origin: HOST }, host, null)).toBe(false);
  });

  it('keeps the tokens through the host, and takes the host’s only from the host', () => {
    vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} });
    const host = fakeHost();
    const stop = connect(document.body, HOST, host);
    expect(host.sent).toEqual([{ message: { type: 'comments:ready' }, origin: HOST }]);

    const kept = JSON.stringify({ 7: { token: 't7', expires: Date.now() + 60_000 } });
    window.dispatchEvent(new MessageEvent('message', { source: window, origin: HOST, data: { type: 'comments:mine', entries: kept } }));
    expect(loadMine()).toEqual({});
    window.dispatchEvent(new MessageEvent('message', { source: host, origin: 'https://evil.example', data: { type: 'comments:mine', entries: kept } }));
    expect(loadMine()).toEqual({});
    window.dispatchEvent(new MessageEvent('message', { source: host, origin: HOST, data: { type: 'comments:mine', entries: kept } }));
    expect(Object.keys(loadMine())).toEqual(['7']);

    saveMine({ 8: { token: 't8', expires: 1 } });
    expect(host.sent.at(-1)).toEqual({ message: { type: 'comments:keep', entries: JSON.stringify({ 8: { token: 't8', expires: 1 } }) }, origin: HOST });
    // Never this frame's own storage.
    expect(localStorage.getItem('comments.mine')).toBeNull();
    stop();
  });
});
