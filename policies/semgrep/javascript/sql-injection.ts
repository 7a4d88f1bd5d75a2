// TypeScript test cases for policies/semgrep/javascript/sql-injection.yaml (secscan rule pack).
interface Db {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

export async function search(db: Db, term: string): Promise<unknown> {
  // ruleid: javascript-sql-injection-concat
  return db.query(`SELECT * FROM products WHERE name LIKE '%${term}%'`);
}

export async function searchOk(db: Db, term: string): Promise<unknown> {
  // ok: javascript-sql-injection-concat
  return db.query("SELECT * FROM products WHERE name LIKE $1", [`%${term}%`]);
}
