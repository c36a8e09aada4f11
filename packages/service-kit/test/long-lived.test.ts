import express from 'express';
import { describe, expect, it } from 'vitest';
import { endLongLivedConnections, endOnShutdown } from '../src/index.js';

describe('endOnShutdown', () => {
  it('ends every connection still registered, once, and each app only its own', () => {
    const app = express();
    const other = express();
    const ended: string[] = [];
    endOnShutdown(app, () => ended.push('stream'));
    const unregister = endOnShutdown(app, () => ended.push('gone'));
    endOnShutdown(other, () => ended.push('other app'));
    unregister();

    endLongLivedConnections(app);
    endLongLivedConnections(app);

    expect(ended).toEqual(['stream']);
  });

  it('ends a connection registered once shutdown has begun', async () => {
    const app = express();
    endLongLivedConnections(app);

    const ended = await new Promise<boolean>((resolve) => {
      endOnShutdown(app, () => resolve(true));
    });

    expect(ended).toBe(true);
  });
});
