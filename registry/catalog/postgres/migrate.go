package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mpak-oci/mpak/registry/catalog/internal/migration"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings the schema up to date in one transaction, under an
// advisory lock: replicas starting together take turns, and the later ones
// find nothing left to do. The lock is keyed by schema, so databases
// holding several catalogs (test runs, say) do not wait on each other.
// Being a transaction-level lock, it cannot outlive a crashed migration.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	all, err := migration.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
		if schema == nil {
			return fmt.Errorf("no schema of the search_path exists: create it (CREATE SCHEMA ...) or fix search_path in the DSN")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('mpak index migrations'), hashtext($1))`, *schema); err != nil {
			return fmt.Errorf("waiting for other replicas' migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("migrating schema %s: %w (the DSN's user needs CREATE on it)", *schema, err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("reading schema_migrations: %w", err)
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return fmt.Errorf("reading schema_migrations: %w", err)
		}
		applied := map[int]bool{}
		for _, v := range versions {
			applied[v] = true
		}
		pending, err := migration.Pending(all, applied)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("applying migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("recording migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}
