// The package ships no types; its shape is documented in its README (prom2json-compatible output).
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

/**
 * A scrape parsed by a Prometheus text-format parser, with lookups by name and labels.
 *
 * The parser folds the series of a labelled histogram into one (its labels and counts are lost), so
 * the text is parsed twice: as it is (`families`: every family's type and help), and with the
 * histograms declared untyped (`samples`), where `<name>_bucket`, `_sum` and `_count` are plain series
 * with their labels: read a histogram's observation count as `value('<name>_count', labels)`.
 */
export class Scrape {
  readonly families: Map<string, MetricFamily>;
  private readonly samples: Map<string, MetricFamily>;

  constructor(readonly text: string) {
    const byName = (fs: MetricFamily[]) => new Map(fs.map((f) => [f.name, f]));
    this.families = byName(parsePrometheusTextFormat(text) as MetricFamily[]);
    this.samples = byName(parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped')) as MetricFamily[]);
  }

  /** The family `name`; throws when the scrape has none. */
  family(name: string): MetricFamily {
    const f = this.families.get(name);
    if (!f) throw new Error(`no metric ${name} in the scrape:\n${this.text.slice(0, 3000)}`);
    return f;
  }

  /**
   * The sum of the values of `name` whose labels include `labels` (0 when none match; throws when
   * the scrape has no `name`).
   */
  value(name: string, labels: Record<string, string> = {}): number {
    const f = this.samples.get(name);
    if (!f) throw new Error(`no metric ${name} in the scrape:\n${this.text.slice(0, 3000)}`);
    return f
      .metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((sum, m) => sum + Number(m.value ?? m.count ?? 0), 0);
  }

  /** The label sets of `name`'s series. */
  series(name: string): Record<string, string>[] {
    return (this.samples.get(name) ?? this.family(name)).metrics.map((m) => m.labels ?? {});
  }
}
