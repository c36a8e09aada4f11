import {
  type DeadLetter,
  type FaultyService,
  gatewayApi,
  type OutboxBacklogList,
  type OutboxDeadLetter,
  opsApi,
  problemTypes,
  ServiceWithOutbox,
} from '@cheesecake/contracts';
import {
  type CallContext,
  type Client,
  handle,
  handlerContext,
  type Logger,
  ProblemError,
  requireUser,
} from '@cheesecake/service-kit';
import { Router } from 'express';
import type { GatewayConfig } from '../config.js';
import { createDownstreams, passThrough } from './downstreams.js';

/** Typed clients of each service's own operations API (`/ops/...`). */
export type OpsClients = Record<FaultyService, Client<typeof opsApi>>;

/**
 * Clients of each service's operations API, through downstreams of their own: with their own
 * breakers and bulkheads, an admin can lift an injected fault while the breaker in front of
 * the service's API is open. Their breaker states stay out of the metrics, which are about
 * the API's calls.
 */
export function createOpsClients(config: GatewayConfig, log: Logger): OpsClients {
  const downstreams = createDownstreams(config, { log });
  return {
    order: downstreams.order.client(opsApi),
    payment: downstreams.payment.client(opsApi),
    kitchen: downstreams.kitchen.client(opsApi),
  };
}

class DeadLetterNotFoundError extends ProblemError {
  constructor(deadLetterId: string) {
    super(problemTypes.notFound, `No dead letter ${deadLetterId}`);
  }
}

/** A service's dead letter as the public API shows it, with an id naming where it lives. */
function publicDeadLetter(service: ServiceWithOutbox, letter: OutboxDeadLetter): DeadLetter {
  return { id: `${service}-${letter.messageId}`, service, ...letter };
}

/** The service and message a public dead letter id such as `order-msg_01…` names, as made above. */
function locate(deadLetterId: string): { service: ServiceWithOutbox; messageId: string } {
  const separator = deadLetterId.indexOf('-');
  const service = ServiceWithOutbox.safeParse(deadLetterId.slice(0, separator));
  const messageId = deadLetterId.slice(separator + 1);
  if (separator < 0 || !service.success || !messageId) {
    throw new DeadLetterNotFoundError(deadLetterId);
  }
  return { service: service.data, messageId };
}

const oldestFirst = (a: DeadLetter, b: DeadLetter) =>
  a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/**
 * The admin routes: the backlog of every outbox; the dead letters of every outbox, merged
 * oldest first, retried by their public id; and the faults injected into a service. Each asks the services' own operations
 * API as the admin, so the services check the role again.
 */
export function opsRoutes(clients: OpsClients): Router {
  const router = Router();
  // The routes share their access (admins only): checked before any body is validated,
  // so another role learns nothing from a 400.
  router.use('/api/ops', (req, res, next) => {
    requireUser(handlerContext(req, res).caller, gatewayApi.setFaults.access);
    next();
  });

  handle(router, gatewayApi.listOutboxBacklogs, async (_request, { caller, requestId }) => {
    const context: CallContext = {
      user: requireUser(caller, gatewayApi.listOutboxBacklogs.access),
      requestId,
    };
    const answers = await Promise.all(
      ServiceWithOutbox.options.map(async (service) =>
        passThrough(service, await clients[service].getOutboxBacklog({}, context)),
      ),
    );
    const items: OutboxBacklogList['items'] = [];
    for (const [index, answer] of answers.entries()) {
      if (answer.status !== 200) return answer;
      items.push({
        service: ServiceWithOutbox.options[index] as ServiceWithOutbox,
        ...answer.body,
      });
    }
    return { status: 200, body: { items } };
  });

  handle(router, gatewayApi.listDeadLetters, async (_request, { caller, requestId }) => {
    const context: CallContext = {
      user: requireUser(caller, gatewayApi.listDeadLetters.access),
      requestId,
    };
    const answers = await Promise.all(
      ServiceWithOutbox.options.map(async (service) =>
        passThrough(service, await clients[service].listDeadLetters({}, context)),
      ),
    );
    const items: DeadLetter[] = [];
    for (const [index, answer] of answers.entries()) {
      if (answer.status !== 200) return answer;
      const service = ServiceWithOutbox.options[index] as ServiceWithOutbox;
      items.push(...answer.body.items.map((letter) => publicDeadLetter(service, letter)));
    }
    return { status: 200, body: { items: items.sort(oldestFirst) } };
  });

  handle(router, gatewayApi.retryDeadLetter, async ({ params }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.retryDeadLetter.access);
    const { service, messageId } = locate(params.deadLetterId);
    const answer = await clients[service].retryDeadLetter(
      { params: { messageId } },
      { user, requestId },
    );
    // The service names the message by its own id; the client knows only the public one.
    if (answer.status === 404) throw new DeadLetterNotFoundError(params.deadLetterId);
    const passed = passThrough(service, answer);
    return passed.status === 200
      ? { ...passed, body: publicDeadLetter(service, passed.body) }
      : passed;
  });

  handle(router, gatewayApi.setFaults, async ({ params, body }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.setFaults.access);
    const answer = await clients[params.service].setFaults({ body }, { user, requestId });
    return passThrough(params.service, answer);
  });

  return router;
}
