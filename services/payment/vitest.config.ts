import { databaseSuite } from '@cheesecake/service-kit/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: databaseSuite('@cheesecake/payment') });
