package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// openStore opens the catalog: PostgreSQL for a postgres:// DSN (several
// mpakd replicas), else SQLite in the data directory.
func openStore(ctx context.Context, dsn, dataDir string) (catalog.Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return postgres.Open(ctx, dsn)
	}
	if dsn != "" {
		return nil, fmt.Errorf("--db %q: want a postgres:// URL, or nothing for SQLite in --data", dsn)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	return sqlite.Open(filepath.Join(dataDir, "index.db"))
}
