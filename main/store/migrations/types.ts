// The shape of one numbered schema migration (TypeScript, not .sql files, so the Electron bundle carries it).
export interface Migration {
  /** 1, 2, 3…: applied in order, each once, recorded in schema_migrations. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
