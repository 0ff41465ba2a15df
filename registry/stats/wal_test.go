package stats

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []record{
		{Day: "2026-03-04", Repository: "acme/weather", Version: "1.0.0-rc.1+build\t\"odd\"", Platform: "linux/amd64"},
		{Day: "2026-03-04", Repository: "acme/weather", Digest: linuxLayer},
	} {
		line := r.encode()
		if strings.Count(string(line), "\n") != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("encode(%+v) = %q: want exactly one line", r, line)
		}
		got, err := parseRecord(line[:len(line)-1])
		if err != nil || got != r {
			t.Errorf("parseRecord(%q) = %+v, %v; want %+v", line, got, err, r)
		}
	}
	for _, bad := range []string{
		``, `{`, `{"day":"2026-03-04","repository":"a"}`,
		`{"day":"2026-03-04","repository":"a","version":"1","digest":"sha256:x"}`,
		`{"day":"yesterday","repository":"a","version":"1"}`,
		`{"day":"2026-03-04","version":"1"}`,
	} {
		if _, err := parseRecord([]byte(bad)); err == nil {
			t.Errorf("parseRecord(%s) accepted it", bad)
		}
	}
}

func TestListBatches(t *testing.T) {
	dir := t.TempDir()
	wal := filepath.Join(dir, "downloads.wal")
	for _, name := range []string{
		filepath.Base(batchPath(wal, "bbb", 10)),
		filepath.Base(batchPath(wal, "bbb", 9)),
		filepath.Base(batchPath(wal, "aaa", 1)),
		"downloads.wal", "downloads.wal.lock", "downloads.wal.batch-", "downloads.wal.batch-x-0",
		"downloads.wal.batch-x-y", "other.wal.batch-aaa-1",
	} {
		must(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	var got []string
	for _, b := range batchFiles(t, wal) {
		got = append(got, fmt.Sprintf("%s/%d", b.id, b.seq))
	}
	if strings.Join(got, " ") != "aaa/1 bbb/9 bbb/10" {
		t.Errorf("listBatches = %v, want aaa 1, bbb 9, bbb 10 in that order, nothing else", got)
	}
}
