import { defineConfig } from 'vitest/config';

// The UI is served by `tracery` from ui/dist at the site root; in `npm run dev`
// API calls are proxied to a running backend (TRACERY_URL, default :16686).
const backend = process.env.TRACERY_URL ?? 'http://127.0.0.1:16686';

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', target: 'es2022', sourcemap: false },
  server: { proxy: { '/api': backend } },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
