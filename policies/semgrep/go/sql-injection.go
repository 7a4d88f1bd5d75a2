// Test cases for policies/semgrep/go/sql-injection.yaml (secscan rule pack).
package main

import (
	"context"
	"database/sql"
	"fmt"
)

func findUser(db *sql.DB, email string) (*sql.Rows, error) {
	// ruleid: go-sql-injection-sprintf
	return db.Query(fmt.Sprintf("SELECT * FROM users WHERE email = '%s'", email))
}

func deleteOrder(ctx context.Context, db *sql.DB, id string) error {
	q := fmt.Sprintf("DELETE FROM orders WHERE id = %s", id)
	// ruleid: go-sql-injection-sprintf
	_, err := db.ExecContext(ctx, q)
	return err
}

func findByName(db *sql.DB, name string) *sql.Row {
	// ruleid: go-sql-injection-sprintf
	return db.QueryRow("SELECT * FROM products WHERE name = '" + name + "'")
}

func findUserOk(db *sql.DB, email string) (*sql.Rows, error) {
	// ok: go-sql-injection-sprintf
	return db.Query("SELECT * FROM users WHERE email = $1", email)
}

func logQueryOk(db *sql.DB, id int) error {
	msg := fmt.Sprintf("deleting %d", id)
	fmt.Println(msg)
	// ok: go-sql-injection-sprintf
	_, err := db.Exec("DELETE FROM orders WHERE id = ?", id)
	return err
}
