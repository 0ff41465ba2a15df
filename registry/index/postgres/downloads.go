package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/index"
)

// AddDownloads adds a batch of counts in one transaction: all of it is
// counted, or none. Each count is an upsert that increments the stored
// value in place (count = count + EXCLUDED.count) under the row's lock, so
// replicas adding to the same row at once both count; rows are touched in
// key order (index.MergeDownloads sorts), so two batches cannot deadlock.
func (s *Store) AddDownloads(ctx context.Context, ds []index.Download) error {
	ds, err := index.MergeDownloads(ds, s.now())
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	var (
		repos, versions, platforms []string
		days                       []time.Time
		counts                     []int64
		// Per-repository totals, in the sorted order of ds.
		totalRepos  []string
		totalCounts []int64
	)
	for _, d := range ds {
		repos, versions, platforms = append(repos, d.Repository), append(versions, d.Version), append(platforms, d.Platform)
		days, counts = append(days, d.Day), append(counts, d.Count)
		if n := len(totalRepos); n > 0 && totalRepos[n-1] == d.Repository {
			totalCounts[n-1] += d.Count
		} else {
			totalRepos, totalCounts = append(totalRepos, d.Repository), append(totalCounts, d.Count)
		}
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO downloads (repository, version, platform, day, count)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[])
			ON CONFLICT (repository, version, platform, day) DO UPDATE SET count = downloads.count + EXCLUDED.count`,
			repos, versions, platforms, days, counts); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO bundles (repository, downloads)
			SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (repository) DO UPDATE SET downloads = bundles.downloads + EXCLUDED.downloads`,
			totalRepos, totalCounts)
		return err
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
	rows, err := s.pool.Query(ctx, `SELECT d.version, d.platform, d.day, d.count
		FROM bundles bu LEFT JOIN downloads d ON d.repository = bu.repository
		WHERE bu.repository = $1`, repository)
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
			version, platform *string
			day               *time.Time
			count             *int64
		)
		if err := rows.Scan(&version, &platform, &day, &count); err != nil {
			return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
		}
		if count == nil {
			continue
		}
		ds = append(ds, index.Download{Repository: repository, Version: *version, Platform: *platform, Day: *day, Count: *count})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading downloads of %s: %w", repository, err)
	}
	if !found {
		return nil, fmt.Errorf("bundle %s: %w", repository, index.ErrNotFound)
	}
	return index.NewStats(ds), nil
}
