/** What `test-connection` found waiting in a channel's folder, counted the way the source sees it. */
export interface WaitingCount {
  /** Files a pattern takes (and whose done-file is there, when done-files are used). */
  taken: number;
  /** Data files whose done-file has not arrived yet. */
  awaitingDone: string[];
  /** Files no pattern matches: left alone. */
  unmatched: string[];
  /** Entries not taken, each with its reason in brackets (`x.csv (not a regular file)`). */
  refused: string[];
}

/** One line for `test-connection`, e.g. `3 file(s) waiting that a pattern takes; 1 file(s) no pattern matches, left alone: a.txt`. */
export function describeWaiting(w: WaitingCount, doneSuffix?: string): string {
  const cut = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? `, … ${names.length - 5} more` : '');
  let text = `${w.taken} file(s) waiting that a pattern takes`;
  if (w.awaitingDone.length) text += `; ${w.awaitingDone.length} file(s) waiting for their done-file (${doneSuffix}): ${cut(w.awaitingDone)}`;
  if (w.unmatched.length) text += `; ${w.unmatched.length} file(s) no pattern matches, left alone: ${cut(w.unmatched)}`;
  if (w.refused.length) text += `; ${w.refused.length} not taken: ${cut(w.refused)}`;
  return text;
}
