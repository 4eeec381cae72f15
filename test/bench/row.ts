// One line of the benchmark table: Custos' figure next to its floor's, measured in the same run.
export interface Row {
  name: string;
  unit: string;
  custos: number;
  floor: number;
  /** custos time per op / floor time per op: how much Custos adds over the bare library call. */
  ratio: number;
  note: string;
}

/** A target of an issue as this run measured it: met, not met, or null when the run did not measure it. */
export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}
