import { IANAZone } from 'luxon';

let listed: ReadonlySet<string> | undefined;

/**
 * UTC under its IANA names (the `Etc/UTC` zone and its links in the tz database's `backward` file):
 * `UTC` is the config's default schedule.timezone, and Node's list of canonical zones leaves it out.
 * https://data.iana.org/time-zones/tzdb/backward
 */
const UTC_NAMES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu', 'GMT', 'Etc/GMT', 'Etc/Greenwich', 'Greenwich', 'GMT0', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0', 'GMT+0', 'GMT-0']);

/**
 * Whether `name` is an IANA time zone this runtime knows (as luxon's `IANAZone.isValidZone`, which
 * decides every name not listed). The zones the runtime lists (`Intl.supportedValuesOf('timeZone')`,
 * the canonical names such as `Europe/Amsterdam`) are answered from that list: the first
 * `Intl.DateTimeFormat` with a time zone sets up ICU's date formatting, 50–100 ms of a process start that
 * only checks a config (docs/benchmarks.md "push: process start"). Other names (`UTC`, aliases such as
 * `US/Eastern`, other spellings) and invalid ones go to luxon; UTC's own names (UTC_NAMES) need neither.
 * https://tc39.es/ecma402/#sec-intl.supportedvaluesof
 */
export function isTimeZone(name: string): boolean {
  if (UTC_NAMES.has(name)) return true;
  listed ??= new Set(Intl.supportedValuesOf('timeZone'));
  return listed.has(name) || IANAZone.isValidZone(name);
}
