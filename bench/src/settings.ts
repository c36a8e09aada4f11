/** One BENCH_* variable: its name, its default and what it sets. */
export interface SettingVariable {
  name: string;
  defaultValue: number;
  meaning: string;
  /** The smallest value that keeps the benchmark meaningful. */
  min: number;
}

// The defaults keep the whole of `pnpm bench` (build aside) under about three minutes on a
// two-core machine: 5 s of warm-up, 3 rounds x 3 targets x (2 + 8) s, then 20 s of checkout
// and its check.
/** The variables that tune a run, in the order the report lists them. */
export const SETTING_VARIABLES = [
  {
    name: 'BENCH_ROUNDS',
    defaultValue: 3,
    min: 3,
    meaning: 'rounds of the gateway efficiency benchmark; the median is reported',
  },
  {
    name: 'BENCH_DURATION_SECONDS',
    defaultValue: 8,
    min: 1,
    meaning: 'measured seconds of each target in each round',
  },
  {
    name: 'BENCH_WARMUP_SECONDS',
    defaultValue: 2,
    min: 0,
    meaning: 'unmeasured seconds of load before each measurement',
  },
  {
    name: 'BENCH_CONNECTIONS',
    defaultValue: 20,
    min: 1,
    meaning: 'concurrent keep-alive connections of the load generator in the efficiency benchmark',
  },
  {
    name: 'BENCH_CHECKOUT_SECONDS',
    defaultValue: 20,
    min: 1,
    meaning: 'seconds during which checkout clients start new orders',
  },
  {
    name: 'BENCH_CHECKOUT_CLIENTS',
    defaultValue: 50,
    min: 1,
    meaning: 'concurrent checkout clients, half signed in as alice, half as bob',
  },
  {
    name: 'BENCH_READY_TIMEOUT_SECONDS',
    defaultValue: 90,
    min: 1,
    meaning: 'how long to wait after checkout for every paid order to be READY',
  },
] as const satisfies readonly SettingVariable[];

type SettingName = (typeof SETTING_VARIABLES)[number]['name'];

/** The settings of a run, by variable name. */
export type Settings = Record<SettingName, number>;

/** Reads the BENCH_* variables, failing with a message that names a wrong one. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const settings = {} as Settings;
  for (const variable of SETTING_VARIABLES) {
    const raw = env[variable.name];
    const value = raw === undefined || raw === '' ? variable.defaultValue : Number(raw);
    if (!Number.isInteger(value) || value < variable.min) {
      throw new Error(`${variable.name} must be a whole number of at least ${variable.min}`);
    }
    settings[variable.name] = value;
  }
  return settings;
}
