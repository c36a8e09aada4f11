import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `pnpm dev` serves the page with hot reload and passes everything else to the gateway,
// so the page is same-origin with the API as it is when the gateway serves the build.
const gateway = process.env.GATEWAY_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api/ws': { target: gateway, ws: true },
      '/api': { target: gateway },
      '/docs': { target: gateway },
      '/openapi.json': { target: gateway },
      '/metrics': { target: gateway },
    },
  },
  test: { environment: 'node', include: ['test/**/*.test.ts'] },
});
