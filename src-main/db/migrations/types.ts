export interface Migration {
  version: number;
  name: string;
  /** SQL applied inside the migration's transaction. */
  up: string;
}
