import { databaseProjects } from '@cheesecake/service-kit/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Ceilings that only bound a hang: a loaded two-core machine may be slow, never wrong.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: databaseProjects('@cheesecake/kitchen'),
  },
});
