import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          // Electron main process (the thin shell).
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          // Headless host and CLI: the same core, no Electron.
          serve: resolve(__dirname, 'src-main/entries/serve.ts'),
          // The engineers' command line (bin/triage-workbench.mjs runs out/main/cli.js).
          cli: resolve(__dirname, 'src-main/entries/cli.ts'),
          // The model worker process (node-llama-cpp); the runtime forks out/main/modelWorker.js.
          modelWorker: resolve(__dirname, 'src-main/runtime/local/modelWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads can require only 'electron' (and a few Node shims): bundle zod and the contract in.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        // Sandboxed preloads cannot be ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
});
