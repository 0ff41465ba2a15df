package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Change log upkeep: a writer that takes a sequence number divisible by
// pruneEvery deletes the entries more than keepChanges numbers old. A
// reader that far behind reloads from Listed instead (ErrChangesPruned).
const (
	pruneEvery  = 1024
	keepChanges = 100_000
)

// logChange takes the next change sequence number and logs repositories
// under it, last in a writer's transaction: the counter is in the
// catalog_generation row, which every writer locks until its commit, so
// numbers are handed out in commit order (migrations/0010_changes.sql).
func (s *Store) logChange(ctx context.Context, tx *sql.Tx, repositories ...string) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE catalog_generation SET change_seq = change_seq + 1 RETURNING change_seq`).Scan(&seq); err != nil {
		return fmt.Errorf("logging the change: %w", err)
	}
	values := make([]string, len(repositories))
	args := make([]any, 0, 2*len(repositories))
	for i, r := range repositories {
		values[i] = `(?, ?)`
		args = append(args, seq, r)
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO catalog_changes (seq, repository) VALUES `+strings.Join(values, `, `)+
		` ON CONFLICT DO NOTHING`, args...); err != nil {
		return fmt.Errorf("logging the change: %w", err)
	}
	if seq%pruneEvery == 0 {
		if _, err := s.exec(ctx, tx, `DELETE FROM catalog_changes WHERE seq <= ?`, seq-keepChanges); err != nil {
			return fmt.Errorf("pruning the change log: %w", err)
		}
	}
	return s.d.notifyChange(ctx, tx)
}

// bundleQuery selects bundles with their latest versions, as scanBundle reads them.
func (s *Store) bundleQuery() string {
	return `SELECT ` + s.versionColumns + `, bu.versions, bu.downloads, bu.updated_at
		FROM bundles bu JOIN versions v ON v.id = bu.latest_id`
}

// Listed reads every listed bundle and the change sequence number in one
// read-only snapshot, handing each bundle over as it is read.
func (s *Store) Listed(ctx context.Context, each func(*catalog.Bundle) error) (int64, error) {
	var seq int64
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT change_seq FROM catalog_generation`).Scan(&seq); err != nil {
			return err
		}
		rows, err := s.query(ctx, tx, s.bundleQuery()+` ORDER BY bu.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBundle(rows)
			if err != nil {
				return err
			}
			if err := each(b); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("reading the listed bundles: %w", err)
	}
	return seq, nil
}

// Changes reads the log after after and the changed repositories' bundles
// in one read-only snapshot.
func (s *Store) Changes(ctx context.Context, after int64, limit int) (int64, []catalog.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	seq := after
	var changes []catalog.Change
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		if after > 0 {
			// The log must still hold after+1 onwards: its oldest entry
			// is at most after+1 (or it is empty and nothing happened).
			var oldest sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT min(seq) FROM catalog_changes`).Scan(&oldest); err != nil {
				return err
			}
			var current int64
			if err := tx.QueryRowContext(ctx, `SELECT change_seq FROM catalog_generation`).Scan(&current); err != nil {
				return err
			}
			if current > after && (!oldest.Valid || oldest.Int64 > after+1) {
				return catalog.ErrChangesPruned
			}
		}
		// Sequence numbers are dense (a transaction that rolls back gives
		// its number back), so limit numbers are whole transactions.
		rows, err := s.query(ctx, tx, `SELECT seq, repository FROM catalog_changes WHERE seq > ? AND seq <= ? ORDER BY seq`, after, after+int64(limit))
		if err != nil {
			return err
		}
		var repositories []string
		seen := map[string]bool{}
		for rows.Next() {
			var (
				n    int64
				repo string
			)
			if err := rows.Scan(&n, &repo); err != nil {
				rows.Close()
				return err
			}
			seq = max(seq, n)
			if !seen[repo] {
				seen[repo] = true
				repositories = append(repositories, repo)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(repositories) == 0 {
			return nil
		}
		placeholders := strings.TrimSuffix(strings.Repeat(`?, `, len(repositories)), `, `)
		args := make([]any, len(repositories))
		for i, r := range repositories {
			args[i] = r
		}
		bundles, err := s.queryBundles(ctx, tx, s.bundleQuery()+` WHERE bu.repository IN (`+placeholders+`)`, args...)
		if err != nil {
			return err
		}
		byRepo := make(map[string]*catalog.Bundle, len(bundles))
		for i := range bundles {
			byRepo[bundles[i].Repository] = &bundles[i]
		}
		for _, r := range repositories {
			changes = append(changes, catalog.Change{Repository: r, Bundle: byRepo[r]})
		}
		return nil
	})
	if err != nil {
		return after, nil, fmt.Errorf("reading the catalog's changes after %d: %w", after, err)
	}
	return seq, changes, nil
}

// snapshot runs fn in a read-only transaction that sees one snapshot.
func (s *Store) snapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, s.d.snapshotTx())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

func (s *Store) queryBundles(ctx context.Context, q querier, query string, args ...any) ([]catalog.Bundle, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bundles []catalog.Bundle
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, *b)
	}
	return bundles, rows.Err()
}
