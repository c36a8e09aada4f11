import {
  type DeclineCode,
  type Order,
  type OrderStatus,
  problemTypes,
} from '@cheesecake/contracts';
import { ProblemError, ValidationError } from '@cheesecake/service-kit';

/** The order does not exist, or belongs to someone else (which must not be revealed). */
export class OrderNotFoundError extends ProblemError {
  constructor(orderId: string) {
    super(problemTypes.orderNotFound, `Order ${orderId} does not exist`);
  }
}

/** The order is past the point where this can be done. */
export class InvalidOrderStateError extends ProblemError {
  constructor(orderId: string, status: OrderStatus, reason: string) {
    super(problemTypes.invalidOrderState, `Order ${orderId} is ${status}: ${reason}`, {
      orderStatus: status,
    });
  }
}

/** The order has been paid already: nothing is charged again. */
export class OrderAlreadyPaidError extends ProblemError {
  constructor(order: Order) {
    super(
      problemTypes.invalidOrderState,
      `Order #${order.number} is already ${order.status}; it was paid before, so nothing was charged`,
      { orderStatus: order.status },
    );
  }
}

/**
 * Some lines of a new order name a dish the menu does not have. That is bad input, like any
 * other failed check of the request, so it is answered as one: 400, each line by its path.
 */
export class UnknownMenuItemError extends ValidationError {
  constructor(lines: { index: number; menuItemId: string }[]) {
    super(
      lines.map(({ index, menuItemId }) => ({
        path: `body.items.${index}.menuItemId`,
        message: `the menu has no item "${menuItemId}"`,
      })),
    );
  }
}

/** A stock report about a dish the menu does not have. */
export class MenuItemNotFoundError extends ProblemError {
  constructor(menuItemId: string) {
    super(problemTypes.menuItemNotFound, `The menu has no item "${menuItemId}"`, { menuItemId });
  }
}

/**
 * Some dishes of a new order are on the menu but not sold now, or the kitchen has fewer
 * portions left than asked: 409, try again later.
 */
export class MenuItemUnavailableError extends ProblemError {
  constructor(menuItemIds: string[]) {
    super(problemTypes.menuItemUnavailable, `Not available: ${menuItemIds.join(', ')}`, {
      menuItemIds,
    });
  }
}

/** The card was declined; the order stays payable. */
export class PaymentDeclinedError extends ProblemError {
  constructor(paymentId: string, declineCode: DeclineCode | null) {
    super(
      problemTypes.paymentDeclined,
      `The card was declined (${declineCode ?? 'no reason given'}); pay again or cancel the order`,
      { paymentId, declineCode },
    );
  }
}

/** A list cursor this service did not issue. */
export class InvalidCursorError extends ValidationError {
  constructor() {
    super([{ path: 'query.cursor', message: 'is not a cursor from a previous page' }]);
  }
}
