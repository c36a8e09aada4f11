import { type OutboxBacklog, opsApi, type Role } from '@cheesecake/contracts';
import { Router } from 'express';
import type { DeadLetters } from './dead-letters.js';
import type { FaultInjection } from './faults.js';
import { handle } from './handle.js';
import { type Caller, requireService, requireUser } from './internal-auth.js';

/** What a service offers its operators; each part mounts its routes only when given. */
export interface OpsRoutesOptions {
  /** `PUT /ops/faults`. */
  faults?: FaultInjection | undefined;
  /** `GET /ops/dead-letters` and `POST /ops/dead-letters/:messageId/retry`. */
  deadLetters?: DeadLetters | undefined;
  /** `GET /ops/outbox`: what waits in the outbox now. */
  outboxBacklog?: (() => Promise<OutboxBacklog>) | undefined;
}

// Operators reach these routes only through the gateway's admin routes, so the credential
// must be the gateway's, acting for a user the record lets in (an admin).
function requireOperatorThroughGateway(caller: Caller, access: readonly Role[]): void {
  requireService(caller, ['gateway']);
  requireUser(caller, access);
}

/** A service's own operations API (`opsApi`): its outbox, dead letters and injected faults. */
export function opsRoutes(options: OpsRoutesOptions): Router {
  const { faults, deadLetters, outboxBacklog } = options;
  const router = Router();

  if (outboxBacklog) {
    handle(router, opsApi.getOutboxBacklog, async (_request, { caller }) => {
      requireOperatorThroughGateway(caller, opsApi.getOutboxBacklog.access);
      return { status: 200, body: await outboxBacklog() };
    });
  }

  if (deadLetters) {
    handle(router, opsApi.listDeadLetters, async (_request, { caller }) => {
      requireOperatorThroughGateway(caller, opsApi.listDeadLetters.access);
      return { status: 200, body: { items: await deadLetters.list() } };
    });

    handle(router, opsApi.retryDeadLetter, async ({ params }, { caller, log }) => {
      requireOperatorThroughGateway(caller, opsApi.retryDeadLetter.access);
      const deadLetter = await deadLetters.retry(params.messageId);
      log.warn({ messageId: params.messageId }, 'dead letter put back in the outbox');
      return { status: 200, body: deadLetter };
    });
  }

  if (faults) {
    handle(router, opsApi.setFaults, async ({ body }, { caller }) => {
      requireOperatorThroughGateway(caller, opsApi.setFaults.access);
      return { status: 200, body: await faults.set(body) };
    });
  }

  return router;
}
