package api

import (
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// seriesDays is how far back a bundle's daily download series reaches.
const seriesDays = 90

// dailySeries is the last seriesDays UTC days up to today, oldest first,
// with a point for every day. The store omits days without downloads;
// filling them in spares every chart the gap handling.
func dailySeries(daily []catalog.DayCount, now time.Time) []catalogapi.DayCount {
	y, m, d := now.UTC().Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-seriesDays)
	out := make([]catalogapi.DayCount, seriesDays)
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	for _, dc := range daily {
		y, m, d := dc.Day.UTC().Date()
		// Normalised to UTC midnight, so a store answering in another
		// zone or with a time of day still lands on the right day.
		i := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(first) / (24 * time.Hour))
		if i >= 0 && i < seriesDays {
			out[i].Count += dc.Count
		}
	}
	return out
}
