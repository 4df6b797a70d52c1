import { describe, expect, it } from 'vitest';
import { formatDurationUs, parseDurationUs, toGoDuration } from './duration';

describe('durations', () => {
  it('parses Go durations to microseconds', () => {
    expect(parseDurationUs('1.2ms')).toBeCloseTo(1200);
    expect(parseDurationUs('1h30m')).toBe(5400e6);
    expect(parseDurationUs('250us')).toBe(250);
    expect(parseDurationUs('7d')).toBe(7 * 86400e6);
  });
  it('rejects what is not a duration', () => {
    for (const bad of ['', '12', 'ms', '1.2 parsecs', '-5ms']) expect(parseDurationUs(bad)).toBeNull();
  });
  it('formats for people', () => {
    expect(formatDurationUs(950)).toBe('950µs');
    expect(formatDurationUs(1250)).toBe('1.25ms');
    expect(formatDurationUs(3_400_000)).toBe('3.4s');
    expect(formatDurationUs(125e6)).toBe('2m 5s');
  });
  it('writes exact Go durations for queries', () => {
    expect(toGoDuration(1500)).toBe('1500us');
    expect(toGoDuration(2000)).toBe('2ms');
    expect(toGoDuration(3e6)).toBe('3s');
    expect(parseDurationUs(toGoDuration(123456))).toBe(123456);
  });
});
