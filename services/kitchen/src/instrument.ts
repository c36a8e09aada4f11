// Imported before main.ts (node --import), so the instrumentations patch what the app loads.
import { startTelemetry } from '@cheesecake/service-kit/telemetry';

await startTelemetry('kitchen');
