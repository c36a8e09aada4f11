import {
  type EndUser,
  OrderDetails,
  type orderApi,
  type Payment,
  type ResponseOf,
  type Ticket,
} from '@cheesecake/contracts';
import { type Logger, UnexpectedResponseError } from '@cheesecake/service-kit';
import type { ServiceClients } from './downstreams.js';

/** The composed order, or the order service's answer when it has no order to show. */
export type OrderDetailsAnswer =
  | { status: 200; body: OrderDetails }
  | Exclude<ResponseOf<typeof orderApi.getOrder>, { status: 200 }>;

/** Who asks for an order, and the request the calls belong to. */
export interface ViewContext {
  user: EndUser;
  requestId: string;
  log: Logger;
}

/**
 * The public view of one order, composed from three services: the order itself, its
 * payment (the captured one, else the latest attempt) and its kitchen ticket. Only the order is essential; a payment or
 * ticket that cannot be fetched is shown as null rather than failing the whole answer.
 */
export class OrderView {
  readonly #clients: ServiceClients;

  constructor(clients: ServiceClients) {
    this.#clients = clients;
  }

  async details(orderId: string, context: ViewContext): Promise<OrderDetailsAnswer> {
    // Asked on the user's behalf first, so the order service decides who may see the order.
    const order = await this.#clients.order.getOrder(
      { params: { orderId } },
      { requestId: context.requestId, user: context.user },
    );
    if (order.status !== 200) return order;

    // The order service has let this user see the order, so its payment and ticket are
    // fetched as the gateway itself, without a user.
    const [payment, ticket] = await Promise.all([
      this.#partOrNull('payment', context, () => this.#paymentOf(orderId, context.requestId)),
      this.#partOrNull('ticket', context, () => this.#ticket(orderId, context.requestId)),
    ]);
    return { status: 200, body: OrderDetails.parse({ ...order.body, payment, ticket }) };
  }

  async #paymentOf(orderId: string, requestId: string): Promise<Payment | null> {
    const response = await this.#clients.payment.listPayments(
      { query: { orderId } },
      { requestId },
    );
    if (response.status !== 200) {
      throw new UnexpectedResponseError('payment', response.status, `status ${response.status}`);
    }
    // The payment that took the money, once there is one: a declined attempt racing it may
    // have been recorded after it. Before that, the latest attempt.
    const items = response.body.items;
    return items.findLast((payment) => payment.status !== 'DECLINED') ?? items.at(-1) ?? null;
  }

  async #ticket(orderId: string, requestId: string): Promise<Ticket | null> {
    const response = await this.#clients.kitchen.listTickets({ query: { orderId } }, { requestId });
    if (response.status !== 200) {
      throw new UnexpectedResponseError('kitchen', response.status, `status ${response.status}`);
    }
    return response.body.items[0] ?? null;
  }

  async #partOrNull<T>(
    part: string,
    context: ViewContext,
    load: () => Promise<T | null>,
  ): Promise<T | null> {
    return load().catch((error: unknown) => {
      context.log.warn({ err: error, part }, `order details without the ${part}`);
      return null;
    });
  }
}
