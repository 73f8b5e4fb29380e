/**
 * Which statements a driver prepares under a name: plain DML, whose few
 * hundred distinct texts the registry sends over and over. Anything else
 * (BEGIN, COMMIT, DDL, VACUUM) runs as it comes.
 */
export function isPreparable(sql: string): boolean {
  return /^\s*(select|insert|update|delete|with)\b/i.test(sql);
}

/**
 * Whether Postgres refused a prepared statement it no longer accepts: a
 * table changed under it ("cached plan must not change result type",
 * 0A000) or the statement is gone (26000). Prepared afresh, it runs again.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '26000';
}
