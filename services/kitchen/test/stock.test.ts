import { StockLevel, StockList } from '@cheesecake/contracts';
import type { Database } from '@cheesecake/service-kit';
import { expectProblem, type TestCredential } from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asGateway,
  asUser,
  kitchenApp,
  openKitchenDatabase,
  stockedDish,
  stockOf,
  uniqueDish,
} from './helpers.js';

let db: Database;
let app: Express;

beforeAll(async () => {
  db = await openKitchenDatabase();
  app = kitchenApp(db);
});
afterAll(() => db.close());

describe('GET /stock', () => {
  it('lists 100 portions of each dish on the menu in a new kitchen', async () => {
    const res = await request(app).get('/stock').use(asUser('kitchen'));

    expect(res.status).toBe(200);
    expect(StockList.parse(res.body).items).toEqual(
      expect.arrayContaining(
        [
          'new-york-cheesecake',
          'basque-burnt-cheesecake',
          'matcha-cheesecake',
          'strawberry-cheesecake',
          'tiramisu',
          'lemon-tart',
        ].map((menuItemId) => ({ menuItemId, quantity: 100 })),
      ),
    );
  });

  it('returns 403 to a customer', async () => {
    const res = await request(app).get('/stock').use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
  });
});

describe('PUT /stock/:menuItemId', () => {
  it('sets the portions left of a dish the kitchen makes, again and again', async () => {
    const menuItemId = await stockedDish(db, app, 3);
    const put = async (quantity: number) =>
      request(app).put(`/stock/${menuItemId}`).use(asUser('admin')).send({ quantity });

    const set = await put(12);
    const emptied = await put(0);

    expect(StockLevel.parse(set.body)).toEqual({ menuItemId, quantity: 12 });
    expect(StockLevel.parse(emptied.body)).toEqual({ menuItemId, quantity: 0 });
    expect(await stockOf(app, menuItemId)).toBe(0);
  });

  it('returns 404 dish-not-stocked for a dish the kitchen does not make, and stocks nothing', async () => {
    const menuItemId = uniqueDish();

    const res = await request(app)
      .put(`/stock/${menuItemId}`)
      .use(asUser('kitchen'))
      .send({ quantity: 5 });

    expectProblem(res, 404, 'dish-not-stocked');
    expect(await stockOf(app, menuItemId)).toBeUndefined();
  });

  it('returns 400 and changes nothing for a negative quantity', async () => {
    const menuItemId = uniqueDish();

    const res = await request(app)
      .put(`/stock/${menuItemId}`)
      .use(asUser('kitchen'))
      .send({ quantity: -1 });

    expectProblem(res, 400, 'validation');
    expect(await stockOf(app, menuItemId)).toBeUndefined();
  });

  it('returns 400 for a dish id that is not a slug', async () => {
    const res = await request(app)
      .put('/stock/Lemon%20Tart')
      .use(asUser('kitchen'))
      .send({ quantity: 1 });

    expectProblem(res, 400, 'validation');
  });

  it('returns 403 to a customer and 401 to a service acting for no user, changing nothing', async () => {
    const menuItemId = uniqueDish();
    const put = async (credential: TestCredential) =>
      request(app).put(`/stock/${menuItemId}`).use(credential).send({ quantity: 5 });

    const asCustomer = await put(asUser('customer'));
    const asService = await put(asGateway());

    expectProblem(asCustomer, 403, 'forbidden');
    expectProblem(asService, 401, 'unauthenticated');
    expect(await stockOf(app, menuItemId)).toBeUndefined();
  });
});
