// Durations: display formatting and Jaeger/Go duration strings ("1.2ms", "1h30m").

const UNITS_US: Record<string, number> = {
  ns: 0.001,
  us: 1,
  'µs': 1,
  'μs': 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
  d: 86400e6,
};

/**
 * Parses a Go-style duration ("500ms", "1.5s", "1h30m", "7d") to microseconds.
 * Returns null when the text is not a duration (empty, unknown unit, negative).
 */
export function parseDurationUs(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    total += parseFloat(m[1]) * UNITS_US[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

/** Human-readable duration with 3 significant digits: 950µs, 1.25ms, 3.4s, 2m 5s. */
export function formatDurationUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  const sig = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  if (a < 1000) return `${sign}${sig(a)}µs`;
  if (a < 1e6) return `${sign}${sig(a / 1e3)}ms`;
  if (a < 60e6) return `${sign}${sig(a / 1e6)}s`;
  if (a < 3600e6) {
    const m = Math.floor(a / 60e6);
    return `${sign}${m}m ${Math.round((a - m * 60e6) / 1e6)}s`;
  }
  const h = Math.floor(a / 3600e6);
  return `${sign}${h}h ${Math.round((a - h * 3600e6) / 60e6)}m`;
}

/** Duration for a query parameter: the shortest exact Go form ("1.5ms", "2s"). */
export function toGoDuration(us: number): string {
  const r = Math.max(0, Math.round(us));
  if (r % 1e6 === 0) return `${r / 1e6}s`;
  if (r % 1e3 === 0) return `${r / 1e3}ms`;
  return `${r}us`;
}

/** Local date-time of an epoch-µs timestamp, e.g. "2024-05-01 13:45:02.123". */
export function formatTimestampUs(us: number): string {
  const d = new Date(us / 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function formatTimeOfDayUs(us: number): string {
  return formatTimestampUs(us).slice(11, 19);
}
