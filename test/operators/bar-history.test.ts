import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BAR_STRIDE, BarHistory, OPEN_US } from '../../operators/bar-history.js';

const SLOTS = 3;

/** Appends a bar opening at `openUs` with its state slots all `openUs`. */
function append(h: BarHistory, openUs: number): void {
  const i = h.append();
  h.bars[i * BAR_STRIDE + OPEN_US] = openUs;
  h.closes[i] = openUs;
  h.states.fill(openUs, h.stateAt(h.size - 1) * h.stride, (h.stateAt(h.size - 1) + 1) * h.stride);
}

const openOf = (h: BarHistory, k: number): number => h.bars[h.barAt(k) * BAR_STRIDE + OPEN_US];
const stateOf = (h: BarHistory, k: number): number[] => [...h.states.subarray(h.stateAt(k) * h.stride, (h.stateAt(k) + 1) * h.stride)];

describe('BarHistory', () => {
  it('keeps every bar and, as asked, the newest states, across growth, inserts and drops', () => {
    const h = new BarHistory(SLOTS, 2);
    for (let t = 1; t <= 5; t++) append(h, t * 10);
    // Only two states are held by default: those of the two newest bars.
    assert.deepEqual([stateOf(h, 3), stateOf(h, 4)], [[40, 40, 40], [50, 50, 50]]);
    h.holdStates(4);
    assert.deepEqual([stateOf(h, 3), stateOf(h, 4)], [[40, 40, 40], [50, 50, 50]], 'growing keeps the states held');
    append(h, 60);
    append(h, 70);
    assert.deepEqual([4, 5, 6].map((k) => stateOf(h, k)[0]), [50, 60, 70]);
    // A late bar at position 5 moves the bars (and their states) after it one up.
    h.holdStates(h.size + 2 - 5);
    const k = h.insert(5);
    h.bars[h.barAt(k) * BAR_STRIDE + OPEN_US] = 55;
    h.states.fill(55, h.stateAt(k) * h.stride, (h.stateAt(k) + 1) * h.stride);
    assert.deepEqual(Array.from({ length: h.size }, (_, j) => openOf(h, j)), [10, 20, 30, 40, 50, 55, 60, 70]);
    assert.deepEqual([4, 5, 6, 7].map((j) => stateOf(h, j)[0]), [50, 55, 60, 70]);
    h.dropOldest(3);
    assert.deepEqual([h.size, openOf(h, 0), stateOf(h, 1)[0], stateOf(h, 4)[0]], [5, 40, 50, 70]);
    assert.equal(h.find(55), 2);
    assert.equal(h.find(56), -4);
  });

  it('starts every state slot as NaN (the outputs an indicator never writes stay null)', () => {
    const h = new BarHistory(SLOTS);
    h.append();
    h.holdStates(8);
    assert.ok([...h.states].every(Number.isNaN));
  });
});
