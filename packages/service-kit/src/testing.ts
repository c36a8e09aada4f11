// What tests use of the kit, the services', the kit's own and the e2e suite's: credentials,
// servers and stubs, databases, failing downstreams and expectations, module by module.

export {
  internalCredential,
  refusedInternalCredentials,
  TEST_INTERNAL_SECRET,
  type TestCredential,
} from './testing/credentials.js';
export { newTestDatabaseUrl, openTestDatabase, testDatabaseEngine } from './testing/databases.js';
export {
  expectProblem,
  signal,
  type TestResponse,
  until,
} from './testing/expectations.js';
export { useFixture } from './testing/fixtures.js';
export {
  type FailingUrl,
  failingUrl,
  GENEROUS_TIMEOUT_MS,
  NETWORK_FAILURES,
  type NetworkFailure,
} from './testing/network-failures.js';
export { freePort } from './testing/ports.js';
export { type RunningServer, startServer, startStubService } from './testing/servers.js';
export { silentLogger } from './testing/silent-logger.js';
export { forgetSpans, recordedSpans, servedSpan } from './testing/spans.js';
