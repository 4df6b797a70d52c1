// One colour per service, the same in every view and every session: the
// service name is hashed (FNV-1a) into a fixed, colour-blind-friendly-ish palette.

const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7',
  '#2f6f9f', '#d37295', '#8cd17d', '#b6992d', '#499894', '#86bcb6', '#a0cbe8', '#f1ce63',
];

export const ERROR_COLOR = '#d62728';

export function serviceColor(service: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PALETTE[h % PALETTE.length];
}
