package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// AddDownloads adds a batch of counts in one transaction: all of it is
// counted, or none. Counts are upserts that increment the stored value in
// place under the row's lock, so processes adding to the same row at once
// both count; rows are touched in key order (catalog.MergeDownloads sorts),
// so two batches cannot deadlock.
func (s *Store) AddDownloads(ctx context.Context, ds []catalog.Download) error {
	ds, err := catalog.MergeDownloads(ds, s.now())
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.d.addDownloads(ctx, tx, ds); err != nil {
			return err
		}
		// Counts order searches and show in their results: the change
		// feed carries them too (the generation does not move).
		repositories, _ := repositoryTotals(ds)
		return s.logChange(ctx, tx, repositories...)
	})
	if err != nil {
		return fmt.Errorf("counting %d downloads: %w", len(ds), err)
	}
	return nil
}

// repositoryTotals sums sorted counts per repository, in their order.
func repositoryTotals(ds []catalog.Download) (repositories []string, totals []int64) {
	for _, d := range ds {
		if n := len(repositories); n > 0 && repositories[n-1] == d.Repository {
			totals[n-1] += d.Count
		} else {
			repositories, totals = append(repositories, d.Repository), append(totals, d.Count)
		}
	}
	return repositories, totals
}

// Stats returns a repository's downloads, or ErrNotFound when it has
// neither versions nor downloads.
func (s *Store) Stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	// One statement reads the bundle row and the counts, so both come from
	// one snapshot. bundles has a row for every repository with versions or
	// downloads; the LEFT JOIN yields a NULL-filled row when it has no
	// download rows.
	rows, err := s.query(ctx, s.read, `SELECT d.version, d.platform, d.day, d.count
		FROM bundles bu LEFT JOIN downloads d ON d.repository = bu.repository
		WHERE bu.repository = ?`, repository)
	if err != nil {
		return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
	}
	defer rows.Close()
	var (
		found bool
		ds    []catalog.Download
	)
	for rows.Next() {
		found = true
		var (
			version, platform sql.NullString
			day               timeValue
			count             sql.NullInt64
		)
		if err := rows.Scan(&version, &platform, &day, &count); err != nil {
			return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
		}
		if !count.Valid {
			continue
		}
		ds = append(ds, catalog.Download{Repository: repository, Version: version.String, Platform: platform.String, Day: day.Time, Count: count.Int64})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
	}
	if !found {
		return nil, fmt.Errorf("bundle %s: %w", repository, catalog.ErrNotFound)
	}
	return catalog.NewStats(ds), nil
}
