// Vite builds the same bundle for the Tauri window (`frontendDist: ../ui/dist`) and for the
// page the room server embeds for browser guests; `base: './'` keeps asset paths relative so
// both `tauri://localhost/` and `http://HOST:PORT/` can load it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  base: './',
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ / WebView2 / Safari 15+ all handle ES2021.
    target: ['es2021', 'chrome100', 'safari15'],
    sourcemap: false,
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
