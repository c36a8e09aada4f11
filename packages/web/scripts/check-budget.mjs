#!/usr/bin/env node
// Fails the build when the page's JavaScript, gzipped, is over its budget: the storefront
// must load quickly on a phone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 150;
const assets = join(import.meta.dirname, '..', 'dist', 'assets');
const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
const gzippedBytes = scripts.reduce(
  (sum, name) => sum + gzipSync(readFileSync(join(assets, name))).length,
  0,
);
const kilobytes = (gzippedBytes / 1024).toFixed(1);
if (gzippedBytes > BUDGET_KB * 1024) {
  console.error(
    `web: the page's JavaScript is ${kilobytes} KB gzipped, over its ${BUDGET_KB} KB budget`,
  );
  process.exit(1);
}
console.log(`web: the page's JavaScript is ${kilobytes} KB gzipped (budget ${BUDGET_KB} KB)`);
