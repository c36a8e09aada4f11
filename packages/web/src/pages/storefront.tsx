import type { MenuItem } from '@cheesecake/contracts';
import { type FormEvent, useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import { ProblemAlert } from '../components/problem-alert.js';
import { useAction } from '../components/use-action.js';
import { useResource } from '../components/use-resource.js';
import { formatMoney } from '../format.js';
import { useSession } from '../session-context.js';

const MAX_QUANTITY = 20;

type Basket = Record<string, number>;
type Change = (item: MenuItem, by: number) => void;

/** The menu with prices, a basket with quantities and a note, and placing the order. */
export function StorefrontPage() {
  const { api } = useSession();
  const menu = useResource(() => api.call('getMenu', {}), [api]);
  const [basket, setBasket] = useState<Basket>({});

  const change: Change = (item, by) =>
    setBasket((current) => {
      const quantity = Math.min(MAX_QUANTITY, Math.max(0, (current[item.id] ?? 0) + by));
      return { ...current, [item.id]: quantity };
    });

  const items = menu.value?.items ?? [];
  return (
    <div className="columns">
      <section className="panel">
        <h1>Menu</h1>
        <ProblemAlert error={menu.error} />
        <ul className="menu">
          {items.map((item) => (
            <MenuEntry key={item.id} item={item} onChange={change} />
          ))}
        </ul>
      </section>
      <BasketForm
        lines={items.filter((item) => (basket[item.id] ?? 0) > 0)}
        basket={basket}
        onChange={change}
        onRefused={menu.reload}
      />
    </div>
  );
}

function MenuEntry({ item, onChange }: { item: MenuItem; onChange: Change }) {
  return (
    <li className={item.available ? '' : 'unavailable'}>
      <div>
        <h2>{item.name}</h2>
        <p>{item.description}</p>
      </div>
      <div className="buy">
        <span className="price">{formatMoney(item.priceCents, item.currency)}</span>
        <button
          type="button"
          onClick={() => onChange(item, 1)}
          disabled={!item.available}
          aria-label={`Add ${item.name}`}
        >
          {item.available ? 'Add' : 'Sold out'}
        </button>
      </div>
    </li>
  );
}

interface BasketProps {
  lines: MenuItem[];
  basket: Basket;
  onChange: Change;
  /** Called when the order is refused, since the menu (a dish sold out) may be why. */
  onRefused: () => void;
}

function BasketForm({ lines, basket, onChange, onRefused }: BasketProps) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const [notes, setNotes] = useState('');
  const placing = useAction();
  // One key per basket: pressing again after a lost answer does not order twice.
  const basketKey = JSON.stringify([basket, notes]);
  // A new key for each new basket.
  const idempotencyKey = useMemo(() => crypto.randomUUID(), [basketKey]);
  const total = lines.reduce((sum, item) => sum + item.priceCents * (basket[item.id] ?? 0), 0);

  async function placeOrder(event: FormEvent) {
    event.preventDefault();
    const order = await placing.run(() =>
      api.call('createOrder', {
        headers: { 'idempotency-key': idempotencyKey },
        body: {
          items: lines.map((item) => ({ menuItemId: item.id, quantity: basket[item.id] ?? 1 })),
          ...(notes.trim() ? { notes: notes.trim() } : {}),
        },
      }),
    );
    if (order) navigate(`/orders/${order.id}`);
    else onRefused();
  }

  return (
    <section className="panel basket" aria-labelledby="basket-heading">
      <h2 id="basket-heading">Your basket</h2>
      {lines.length === 0 && <p className="hint">Nothing yet: add a dish from the menu.</p>}
      <form onSubmit={placeOrder} className="stack">
        <ul className="lines">
          {lines.map((item) => (
            <BasketLine
              key={item.id}
              item={item}
              quantity={basket[item.id] ?? 0}
              onChange={onChange}
            />
          ))}
        </ul>
        <label>
          Note for the kitchen
          <textarea
            name="notes"
            maxLength={500}
            value={notes}
            onChange={(event) => setNotes(event.target.value)}
          />
        </label>
        <p className="total">
          Total <strong>{formatMoney(total, lines[0]?.currency ?? 'USD')}</strong>
        </p>
        <ProblemAlert error={placing.error} />
        <button type="submit" disabled={placing.busy || lines.length === 0}>
          Place order
        </button>
      </form>
    </section>
  );
}

function BasketLine({
  item,
  quantity,
  onChange,
}: {
  item: MenuItem;
  quantity: number;
  onChange: Change;
}) {
  return (
    <li>
      <span>{item.name}</span>
      <span className="quantity">
        <button
          type="button"
          onClick={() => onChange(item, -1)}
          aria-label={`Remove one ${item.name}`}
        >
          −
        </button>
        <output aria-label={`Quantity of ${item.name}`}>{quantity}</output>
        <button
          type="button"
          onClick={() => onChange(item, 1)}
          aria-label={`One more ${item.name}`}
        >
          +
        </button>
      </span>
      <span>{formatMoney(item.priceCents * quantity, item.currency)}</span>
    </li>
  );
}
