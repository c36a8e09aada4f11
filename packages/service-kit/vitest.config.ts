import { defineConfig } from 'vitest/config';
import { databaseSuite } from './src/vitest-projects.js';

export default defineConfig({ test: databaseSuite('@cheesecake/service-kit') });
