import type { StockLevel, Ticket, TicketStatus } from '@cheesecake/contracts';
import { type FormEvent, useState } from 'react';
import { Field } from '../components/field.js';
import { ProblemAlert } from '../components/problem-alert.js';
import { StatusBadge } from '../components/status-badge.js';
import { useAction } from '../components/use-action.js';
import { useOrderStatus } from '../components/use-order-status.js';
import { useResource } from '../components/use-resource.js';
import { useSession } from '../session-context.js';

const COLUMNS: TicketStatus[] = ['QUEUED', 'PREPARING', 'READY'];

// Ready tickets wait to be picked up; the board shows the latest few, newest first.
const READY_SHOWN = 8;

// What the staff may do to a ticket, and in which status: the kitchen checks it again.
const TICKET_ACTIONS = [
  { label: 'Start', route: 'startTicket', from: 'QUEUED' },
  { label: 'Ready', route: 'markTicketReady', from: 'PREPARING' },
] as const;
type TicketAction = (typeof TICKET_ACTIONS)[number];

// A new ticket changes no order status (the order is PAID before and after), so besides
// following every order live the board asks for its tickets this often.
const BOARD_REFRESH_MS = 2_000;
const STOCK_REFRESH_MS = 5_000;

/** The kitchen's live board of tickets, with Start and Ready, and the stock of each dish. */
export function KitchenPage() {
  const { api } = useSession();
  const tickets = useResource(
    () => api.call('listTickets', { query: {} }),
    [api],
    BOARD_REFRESH_MS,
  );
  const live = useOrderStatus('*', () => tickets.reload());
  const acting = useAction();

  async function act(action: TicketAction, ticket: Ticket) {
    await acting.run(() => api.call(action.route, { params: { ticketId: ticket.id } }));
    tickets.reload();
  }

  const all = tickets.value?.items ?? [];
  return (
    <div className="stack">
      <section className="panel">
        <header className="tracker-head">
          <h1>Kitchen</h1>
          <span className={`connection connection-${live.connection}`}>{live.connection}</span>
        </header>
        <ProblemAlert error={acting.error ?? tickets.error} />
        <div className="board">
          {COLUMNS.map((column) => {
            const inColumn = all.filter((ticket) => ticket.status === column);
            const shown = column === 'READY' ? inColumn.slice(-READY_SHOWN).reverse() : inColumn;
            return (
              <section key={column} className="board-column" aria-label={column}>
                <h2>
                  {column} <span className="count">{inColumn.length}</span>
                </h2>
                <ul>
                  {shown.map((ticket) => (
                    <TicketCard key={ticket.id} ticket={ticket} onAct={act} />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      </section>
      <StockPanel />
    </div>
  );
}

function TicketCard({
  ticket,
  onAct,
}: {
  ticket: Ticket;
  onAct: (action: TicketAction, ticket: Ticket) => void;
}) {
  return (
    <li className="ticket" aria-label={`Ticket #${ticket.orderNumber}`}>
      <header>
        <strong>#{ticket.orderNumber}</strong> <StatusBadge status={ticket.status} />
      </header>
      <ul>
        {ticket.items.map((line) => (
          <li key={line.menuItemId}>
            {line.quantity} × {line.name}
          </li>
        ))}
      </ul>
      {ticket.notes && <p className="notes">{ticket.notes}</p>}
      <div className="actions">
        {TICKET_ACTIONS.map((action) => (
          <button
            key={action.route}
            type="button"
            disabled={ticket.status !== action.from}
            onClick={() => onAct(action, ticket)}
          >
            {action.label}
          </button>
        ))}
      </div>
    </li>
  );
}

function StockPanel() {
  const { api } = useSession();
  // Every new ticket takes portions, so the stock moves as the board does.
  const stock = useResource(() => api.call('listStock', {}), [api], STOCK_REFRESH_MS);
  const menu = useResource(() => api.call('getMenu', {}), [api]);
  const names = new Map((menu.value?.items ?? []).map((item) => [item.id, item.name]));
  return (
    <section className="panel">
      <h2>Stock</h2>
      <ProblemAlert error={stock.error} />
      <ul className="stock">
        {(stock.value?.items ?? []).map((level) => (
          <StockRow
            // A new level starts the row afresh; an unchanged one keeps what is being typed.
            key={`${level.menuItemId}:${level.quantity}`}
            level={level}
            name={names.get(level.menuItemId) ?? level.menuItemId}
            onSaved={stock.reload}
          />
        ))}
      </ul>
    </section>
  );
}

function StockRow({
  level,
  name,
  onSaved,
}: {
  level: StockLevel;
  name: string;
  onSaved: () => void;
}) {
  const { api } = useSession();
  const [quantity, setQuantity] = useState(String(level.quantity));
  const saving = useAction();
  async function save(event: FormEvent) {
    event.preventDefault();
    const body = { quantity: Number(quantity) };
    const saved = await saving.run(() =>
      api.call('setStock', { params: { menuItemId: level.menuItemId }, body }),
    );
    if (saved) onSaved();
  }
  return (
    <li>
      <form onSubmit={save} className="inline">
        <Field
          label={name}
          type="number"
          min={0}
          max={100_000}
          value={quantity}
          onChange={(event) => setQuantity(event.target.value)}
        />
        <button type="submit" disabled={saving.busy}>
          Save
        </button>
      </form>
      <ProblemAlert error={saving.error} />
    </li>
  );
}
