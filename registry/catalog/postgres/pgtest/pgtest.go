// Package pgtest gives tests a PostgreSQL database to use: the one
// MPAK_TEST_POSTGRES names, in a schema of their own. In CI (CI=true) a
// missing database fails the test; elsewhere the first skip says loudly
// what did not run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the database tests use. They create and drop schemas in
// it, never touching anything else.
const Env = "MPAK_TEST_POSTGRES"

// DSN returns the test database's DSN, or ends the test: fatally in CI,
// where .ci/run starts PostgreSQL, and as a loud skip elsewhere.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(Env + " is not set: .ci/run should have started PostgreSQL")
	}
	loud := false
	bannerOnce.Do(func() { loud = true })
	if !loud {
		t.Skip(Env + " is not set: the PostgreSQL store is untested (see the banner above)")
	}
	t.Skip(`
************************************************************************
* THE POSTGRESQL CONFORMANCE SUITE DID NOT RUN: ` + Env + ` is not set.
* Run it against a database you can create schemas in, for example:
*   ` + Env + `='postgres://mpak:mpak@127.0.0.1:5432/mpak_test?sslmode=disable' \
*     go test ./registry/catalog/postgres/
* (.ci/run installs and starts a local PostgreSQL and sets it for you.)
************************************************************************`)
	return ""
}

// bannerOnce makes the first skip explain, and the others refer to it.
var bannerOnce sync.Once

// NewSchema creates a uniquely named, empty schema for one test, dropped
// when the test ends, and returns a DSN whose search_path selects it: test
// runs and tests sharing the database never see each other's tables.
func NewSchema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := fmt.Sprintf("mpak_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, dsn, schema)
}

// WithSearchPath adds search_path to a URL or key=value DSN.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s is not a valid URL: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
