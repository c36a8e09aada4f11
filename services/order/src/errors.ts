import { type DeclineCode, type OrderStatus, problemTypes } from '@cheesecake/contracts';
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

/** Some dishes of a new order are not on the menu, or not available now. */
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
