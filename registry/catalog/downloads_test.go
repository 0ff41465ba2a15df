package catalog

import (
	"reflect"
	"testing"
	"time"
)

func TestDay(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	// 08:00 in Tokyo on the 2nd is 23:00 UTC on the 1st.
	if got, want := Day(time.Date(2026, 3, 2, 8, 0, 0, 0, tokyo)), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Day = %v, want %v", got, want)
	}
}

func TestMergeDownloads(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := day.Add(36 * time.Hour)
	got, err := MergeDownloads([]Download{
		{Repository: "b", Version: "1.0.0", Platform: "any", Day: day.Add(time.Hour), Count: 1},
		{Repository: "a", Version: "1.0.0", Platform: "any", Day: day, Count: 2},
		{Repository: "b", Version: "1.0.0", Platform: "any", Day: day.Add(20 * time.Hour), Count: 3},
		{Repository: "a", Version: "1.0.0", Platform: "linux/amd64", Count: 4},
		{Repository: "a", Version: "2.0.0", Platform: "any", Day: day, Count: 0},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []Download{
		{Repository: "a", Version: "1.0.0", Platform: "any", Day: day, Count: 2},
		{Repository: "a", Version: "1.0.0", Platform: "linux/amd64", Day: day.Add(24 * time.Hour), Count: 4},
		{Repository: "b", Version: "1.0.0", Platform: "any", Day: day, Count: 4},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeDownloads:\ngot  %+v\nwant %+v", got, want)
	}
	if _, err := MergeDownloads([]Download{{Repository: "a", Count: -1}}, now); err == nil {
		t.Error("a negative count merged without error")
	}
	if _, err := MergeDownloads([]Download{{Version: "1.0.0", Count: 1}}, now); err == nil {
		t.Error("a count without a repository merged without error")
	}
}

func TestNewStats(t *testing.T) {
	d1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	got := NewStats([]Download{
		{Version: "1.0.0", Platform: "any", Day: d2, Count: 1},
		{Version: "1.0.0", Platform: "linux/amd64", Day: d1, Count: 2},
		{Version: "2.0.0", Platform: "any", Day: d1, Count: 4},
	})
	rows := got.Rows
	got.Rows = nil
	want := &Stats{
		Total:      7,
		ByVersion:  map[string]int64{"1.0.0": 3, "2.0.0": 4},
		ByPlatform: map[string]int64{"any": 5, "linux/amd64": 2},
		Daily:      []DayCount{{Day: d1, Count: 6}, {Day: d2, Count: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewStats:\ngot  %+v\nwant %+v", got, want)
	}
	if len(rows) != 3 {
		t.Fatalf("NewStats kept %d rows, want the 3 given", len(rows))
	}
	got.Rows = rows
	linux := got.Of(func(d *Download) bool { return d.Version == "1.0.0" && d.Platform == "linux/amd64" })
	if linux.Total != 2 || len(linux.Daily) != 1 || linux.Daily[0] != (DayCount{Day: d1, Count: 2}) {
		t.Errorf("Of(1.0.0 linux/amd64) = %+v, want 2 on %s", linux, d1)
	}
	if empty := NewStats(nil); empty.ByVersion == nil || empty.ByPlatform == nil || empty.Daily == nil {
		t.Errorf("NewStats(nil) = %+v, want empty maps and series (JSON objects and arrays, not null)", empty)
	}
}
