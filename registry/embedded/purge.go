package embedded

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
)

// PurgeUploads deletes the unfinished uploads started more than age ago,
// in every repository, and says how many it deleted. An upload still being
// written to that long is cut off: its client must start again.
func (r *Registry) PurgeUploads(ctx context.Context, age time.Duration) (int, error) {
	// distribution's walk reports a registry nothing was pushed to yet as
	// an error, with the type lost.
	if _, err := r.driver.Stat(ctx, v2Root+"/repositories"); notFound(err) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	before := time.Now().Add(-age)
	deleted, errs := storage.PurgeUploads(ctx, r.driver, before, true)
	n, err := r.purgeRemnants(ctx, before)
	return len(deleted) + n, errors.Join(append(errs, err)...)
}

// purgeRemnants deletes what distribution leaves of an upload cancelled
// with DELETE: it writes the upload's hash state again after removing the
// upload, so a directory remains without the startedat file its purger
// dates uploads by, and which it therefore never purges. Such a remnant
// is dated by its files' modification times.
func (r *Registry) purgeRemnants(ctx context.Context, before time.Time) (int, error) {
	var dirs []string
	err := r.driver.Walk(ctx, v2Root+"/repositories", func(fi storagedriver.FileInfo) error {
		if !fi.IsDir() {
			return nil
		}
		p := fi.Path()
		if path.Base(path.Dir(p)) == "_uploads" {
			dirs = append(dirs, p)
			return storagedriver.ErrSkipDir
		}
		if base := path.Base(p); strings.HasPrefix(base, "_") && base != "_uploads" {
			return storagedriver.ErrSkipDir // _layers, _manifests
		}
		return nil
	})
	if err != nil && !notFound(err) {
		return 0, err
	}
	var errs []error
	purged := 0
	for _, dir := range dirs {
		if _, err := r.driver.Stat(ctx, dir+"/startedat"); !notFound(err) {
			continue // an upload, or unreadable: distribution's purger's
		}
		newest := time.Time{}
		err := r.driver.Walk(ctx, dir, func(fi storagedriver.FileInfo) error {
			if fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
			return nil
		})
		if err != nil || newest.IsZero() || newest.After(before) {
			continue
		}
		if err := r.driver.Delete(ctx, dir); err != nil && !notFound(err) {
			errs = append(errs, err)
			continue
		}
		purged++
	}
	return purged, errors.Join(errs...)
}

// purgeEvery purges until ctx ends. The first purge comes soon after
// start, not an interval later: a server restarted every few hours (a
// deploy, a crash loop) would otherwise never purge.
func (r *Registry) purgeEvery(ctx context.Context, age, interval time.Duration) {
	t := time.NewTimer(min(time.Minute, interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		n, err := r.PurgeUploads(ctx, age)
		took := time.Since(start)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.log.Warn("purging unfinished uploads", "purged", n, "older_than", age, "took", took, "err", err)
		case n > 0:
			r.log.Info("purged unfinished uploads", "purged", n, "older_than", age, "took", took)
		default:
			r.log.Debug("no unfinished uploads to purge", "older_than", age, "took", took)
		}
		t.Reset(interval)
	}
}
