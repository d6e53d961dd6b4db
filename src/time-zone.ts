import { IANAZone } from 'luxon';

let listed: ReadonlySet<string> | undefined;

/**
 * Whether `name` is an IANA time zone this runtime knows (as luxon's `IANAZone.isValidZone`, which
 * decides every name not listed). The zones the runtime lists (`Intl.supportedValuesOf('timeZone')`,
 * the canonical names such as `Europe/Amsterdam`) are answered from that list: the first
 * `Intl.DateTimeFormat` with a time zone sets up ICU's date formatting, 50–100 ms of a process start that
 * only checks a config (docs/benchmarks.md "push: process start"). Other names (`UTC`, aliases such as
 * `US/Eastern`, other spellings) and invalid ones go to luxon.
 * https://tc39.es/ecma402/#sec-intl.supportedvaluesof
 */
export function isTimeZone(name: string): boolean {
  listed ??= new Set(Intl.supportedValuesOf('timeZone'));
  return listed.has(name) || IANAZone.isValidZone(name);
}
