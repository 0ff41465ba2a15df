package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mpak-oci/mpak/registry/index"
)

// AddDownloads adds a batch of counts in one transaction: all of it is
// counted, or none.
func (s *Store) AddDownloads(ctx context.Context, ds []index.Download) error {
	ds, err := index.MergeDownloads(ds, s.now())
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	totals := map[string]int64{}
	err = s.write(ctx, func(tx *sql.Tx) error {
		add, err := tx.PrepareContext(ctx, `INSERT INTO downloads (repository, version, platform, day, count)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repository, version, platform, day) DO UPDATE SET count = count + excluded.count`)
		if err != nil {
			return err
		}
		defer add.Close()
		var repositories []string
		for _, d := range ds {
			if _, err := add.ExecContext(ctx, d.Repository, d.Version, d.Platform, d.Day.Format(dayLayout), d.Count); err != nil {
				return err
			}
			if _, ok := totals[d.Repository]; !ok {
				repositories = append(repositories, d.Repository)
			}
			totals[d.Repository] += d.Count
		}
		for _, r := range repositories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO bundles (repository, downloads) VALUES (?, ?)
				ON CONFLICT (repository) DO UPDATE SET downloads = downloads + excluded.downloads`,
				r, totals[r]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("counting %d downloads: %w", len(ds), err)
	}
	return nil
}

// Stats returns a repository's downloads, or ErrNotFound when it has
// neither versions nor downloads.
func (s *Store) Stats(ctx context.Context, repository string) (*index.Stats, error) {
	// One statement reads the bundle row and the counts, so both come from
	// one snapshot. bundles has a row for every repository with versions or
	// downloads; the LEFT JOIN yields a NULL-filled row when it has no
	// download rows.
	rows, err := s.read.QueryContext(ctx, `SELECT d.version, d.platform, d.day, d.count
		FROM bundles bu LEFT JOIN downloads d ON d.repository = bu.repository
		WHERE bu.repository = ?`, repository)
	if err != nil {
		return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
	}
	defer rows.Close()
	var (
		found bool
		ds    []index.Download
	)
	for rows.Next() {
		found = true
		var (
			version, platform, day sql.NullString
			count                  sql.NullInt64
		)
		if err := rows.Scan(&version, &platform, &day, &count); err != nil {
			return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
		}
		if !count.Valid {
			continue
		}
		t, err := time.Parse(dayLayout, day.String)
		if err != nil {
			return nil, fmt.Errorf("reading downloads of %s: day %q: %w", repository, day.String, err)
		}
		ds = append(ds, index.Download{Repository: repository, Version: version.String, Platform: platform.String, Day: t, Count: count.Int64})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
	}
	if !found {
		return nil, fmt.Errorf("bundle %s: %w", repository, index.ErrNotFound)
	}
	return index.NewStats(ds), nil
}
