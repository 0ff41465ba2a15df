package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Day is the UTC day t falls on, the unit downloads are counted in.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// MergeDownloads prepares a batch for AddDownloads: days are truncated to
// the UTC day (a zero Day is now's), counts of equal keys are summed, zero
// counts dropped, and the result is sorted by key. A single upsert cannot
// touch a row twice, and writers that lock rows in one global order cannot
// deadlock each other, which is why stores want it merged and sorted. A
// negative count or a missing repository is an error: counts only grow.
func MergeDownloads(ds []Download, now time.Time) ([]Download, error) {
	type key struct {
		repository, version, platform string
		day                           time.Time
	}
	sums := make(map[key]int64, len(ds))
	for _, d := range ds {
		if d.Repository == "" {
			return nil, fmt.Errorf("download of %s (%s) names no repository: attribute it before counting", d.Version, d.Platform)
		}
		if d.Count < 0 {
			return nil, fmt.Errorf("download count %d for %s@%s (%s) is negative: counts only grow", d.Count, d.Repository, d.Version, d.Platform)
		}
		day := d.Day
		if day.IsZero() {
			day = now
		}
		sums[key{d.Repository, d.Version, d.Platform, Day(day)}] += d.Count
	}
	out := make([]Download, 0, len(sums))
	for k, n := range sums {
		if n > 0 {
			out = append(out, Download{Repository: k.repository, Version: k.version, Platform: k.platform, Day: k.day, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b Download) int {
		return cmp.Or(cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Platform, b.Platform), a.Day.Compare(b.Day))
	})
	return out, nil
}

// NewStats sums a repository's download rows, one per version, platform and
// day, into its Stats. Stores read the rows in one query, so the totals,
// breakdowns and series are of one snapshot and always add up.
func NewStats(rows []Download) *Stats {
	s := &Stats{ByVersion: map[string]int64{}, ByPlatform: map[string]int64{}, Daily: []DayCount{}, Rows: rows}
	daily := map[time.Time]int64{}
	for _, r := range rows {
		s.Total += r.Count
		s.ByVersion[r.Version] += r.Count
		s.ByPlatform[r.Platform] += r.Count
		daily[Day(r.Day)] += r.Count
	}
	for day, n := range daily {
		s.Daily = append(s.Daily, DayCount{Day: day, Count: n})
	}
	slices.SortFunc(s.Daily, func(a, b DayCount) int { return a.Day.Compare(b.Day) })
	return s
}
