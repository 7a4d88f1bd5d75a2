// Test cases for policies/semgrep/javascript/sql-injection.yaml (secscan rule pack).
async function findUser(db, req) {
  // ruleid: javascript-sql-injection-concat
  return db.query("SELECT * FROM users WHERE email = '" + req.body.email + "'");
}

async function findOrders(pool, userId, sort) {
  const sql = `SELECT * FROM orders WHERE user_id = ${userId} ORDER BY ${sort}`;
  // ruleid: javascript-sql-injection-concat
  return pool.execute(sql);
}

async function knexRaw(knex, name) {
  // ruleid: javascript-sql-injection-concat
  return knex.raw("SELECT * FROM products WHERE name LIKE '%" + name + "%'");
}

async function findUserOk(db, req) {
  // ok: javascript-sql-injection-concat
  return db.query("SELECT * FROM users WHERE email = $1", [req.body.email]);
}

async function findOrdersOk(pool, userId) {
  // ok: javascript-sql-injection-concat
  return pool.execute("SELECT * FROM orders WHERE user_id = ?", [userId]);
}

async function constantOk(db) {
  // ok: javascript-sql-injection-concat
  return db.query("SELECT id, name " + "FROM products");
}
