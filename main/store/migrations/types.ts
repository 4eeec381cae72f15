// The shape of one numbered schema migration (TypeScript, not .sql files, so the Electron bundle carries it).
export interface Migration {
  /** 1, 2, 3…: applied in order, each once, recorded in schema_migrations. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Rebuilds a table others refer to: run with foreign keys off, then every reference is checked before commit. */
  readonly rebuildsTables?: boolean;
}
