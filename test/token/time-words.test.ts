import { durationInWords } from '../../src/lib/time-words.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

describe('durationInWords', () => {
  it.each([
    [42 * S, '42 s'],
    [0, '0 s'],
    [90 * S, '1 min 30 s'],
    [42 * MIN + 10 * S, '42 min'],
    [3 * H + 12 * MIN + 59 * S, '3 h 12 min'],
    [5 * H, '5 h'],
    [2 * D + 4 * H + 30 * MIN, '2 d 4 h'],
    [-(3 * H + 12 * MIN), '3 h 12 min'],
  ])('%d ms is %s', (ms, words) => {
    expect(durationInWords(ms)).toBe(words);
  });

  it('says so when the duration is not a number', () => {
    expect(durationInWords(Number.NaN)).toBe('an unknown time');
  });
});
