import { Menu } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { asCustomer, asService, newCustomerId, useOrderService } from './support.js';

describe('GET /menu', () => {
  const service = useOrderService();

  it('lists the six dishes in menu order, priced in USD cents, to the gateway without a user', async () => {
    const res = await request(service.app).get('/menu').use(asService('gateway'));

    expect(res.status).toBe(200);
    const menu = Menu.parse(res.body);
    expect(menu.items.map((item) => [item.id, item.name, item.priceCents])).toEqual([
      ['new-york-cheesecake', 'New York Cheesecake', 650],
      ['basque-burnt-cheesecake', 'Basque Burnt Cheesecake', 720],
      ['matcha-cheesecake', 'Matcha Cheesecake', 690],
      ['strawberry-cheesecake', 'Strawberry Cheesecake', 680],
      ['tiramisu', 'Tiramisu', 590],
      ['lemon-tart', 'Lemon Tart', 520],
    ]);
    expect(menu.items.every((item) => item.currency === 'USD' && item.available)).toBe(true);
    expect(menu.items.every((item) => item.description.length > 0)).toBe(true);
  });

  it('shows a dish taken off the menu as unavailable', async () => {
    await service.db.query(`update menu_items set available = false where id = 'tiramisu'`);
    onTestFinished(async () => {
      await service.db.query(`update menu_items set available = true where id = 'tiramisu'`);
    });

    const res = await request(service.app).get('/menu').use(asCustomer(newCustomerId()));

    expect(res.status).toBe(200);
    const tiramisu = Menu.parse(res.body).items.find((item) => item.id === 'tiramisu');
    expect(tiramisu?.available).toBe(false);
  });

  it('returns 401 without an internal credential', async () => {
    const res = await request(service.app).get('/menu');

    expectProblem(res, 401, 'unauthenticated');
  });
});
