import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadMine, resetMemory, saveMine, updateMine } from './myComments.js';

afterEach(() => resetMemory());

describe('the memory of comments posted from this page', () => {
  it('keeps tokens in localStorage, so a reload finds them', () => {
    updateMine((entries) => ({ ...entries, 7: { token: 't7', expires: Date.now() + 60_000 } }));
    expect(JSON.parse(localStorage.getItem('comments.mine'))[7].token).toBe('t7');
    expect(loadMine()[7].token).toBe('t7');
  });

  it('drops what has expired', () => {
    const now = Date.now();
    saveMine({ 1: { token: 'old', expires: now - 1 }, 2: { token: 'new', expires: now + 1000 } });
    expect(Object.keys(loadMine(now))).toEqual(['2']);
    // and writes drop it too
    updateMine((entries) => entries, now);
    expect(Object.keys(JSON.parse(localStorage.getItem('comments.mine')))).toEqual(['2']);
  });

  it.each([['not json'], ['[1, 2]'], ['null'], ['{"3": {"token": 5, "expires": 9e15}}'], ['{"3": {"token": "t"}}']])(
    'ignores a damaged store: %s',
    (stored) => {
      localStorage.setItem('comments.mine', stored);
      expect(loadMine()).toEqual({});
    },
  );

  it('merges with what another tab wrote since', () => {
    const expires = Date.now() + 60_000;
    updateMine((entries) => ({ ...entries, 1: { token: 'a', expires } }));
    // another tab
    localStorage.setItem('comments.mine', JSON.stringify({ 1: { token: 'a', expires }, 2: { token: 'b', expires } }));
    const next = updateMine((entries) => ({ ...entries, 3: { token: 'c', expires } }));
    expect(Object.keys(next)).toEqual(['1', '2', '3']);
  });

  it('remembers in memory when localStorage refuses', () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    updateMine(() => ({ 4: { token: 't4', expires: Date.now() + 60_000 } }));
    expect(loadMine()[4].token).toBe('t4');
  });
});
