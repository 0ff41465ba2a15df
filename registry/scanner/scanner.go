// Package scanner makes mpakd a scanner: it scans each version published
// to it, offline, and attaches the reports with a verdict signed by its own
// key, which it publishes (policy.ScannerKeyPath) so that clients can
// trust the levels it gives.
package scanner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
)

// Repositories opens a repository of the registry mpakd serves.
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Options configure a Scanner.
type Options struct {
	Key   signature.SignerVerifier
	Repos Repositories
	// Host is the registry's name in the statements (host[:port]).
	Host string
	// VulnDB is a directory of OSV JSON files for the vulnerability
	// control; without one it is skipped and no version reaches L2.
	VulnDB string
	// Attached is called after a version's verdict is attached (the
	// catalog re-reads its trust signals then).
	Attached func(ctx context.Context, repository, tag string)
	// Queue bounds the versions waiting (default 256); beyond it new ones
	// are dropped with a warning, and mpakd rescan catches up.
	Queue  int
	Logger *slog.Logger
}

type job struct{ repository, tag string }

// Scanner scans versions one at a time in the background.
type Scanner struct {
	opts Options
	jobs chan job
	wg   sync.WaitGroup
}

// New starts a Scanner; Close stops it.
func New(opts Options) *Scanner {
	if opts.Queue <= 0 {
		opts.Queue = 256
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Scanner{opts: opts, jobs: make(chan job, opts.Queue)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for j := range s.jobs {
			if err := s.Scan(context.Background(), j.repository, j.tag); err != nil {
				s.opts.Logger.Warn("scanning failed", "repository", j.repository, "tag", j.tag, "err", err)
			}
		}
	}()
	return s
}

// Enqueue asks for repository:tag to be scanned; it never blocks a push.
func (s *Scanner) Enqueue(repository, tag string) {
	select {
	case s.jobs <- job{repository, tag}:
	default:
		s.opts.Logger.Warn("scan queue full: version not scanned", "repository", repository, "tag", tag)
	}
}

// Close waits for the queued scans to finish.
func (s *Scanner) Close() {
	close(s.jobs)
	s.wg.Wait()
}

// Scan scans every build of repository:tag, attaches each build's report,
// and signs one verdict for the version: the lowest level of its builds
// (a version is as trustworthy as its weakest build).
func (s *Scanner) Scan(ctx context.Context, repository, tag string) error {
	repo, err := s.opts.Repos.Repository(ctx, repository)
	if err != nil {
		return err
	}
	v, err := bundle.Resolve(ctx, repo, tag)
	if err != nil {
		return err
	}
	var worst *scan.Attached
	var worstReport *scan.Report
	for _, e := range v.Builds {
		r, err := s.scanBuild(ctx, repo, e)
		if err != nil {
			return fmt.Errorf("scanning %s:%s (%s): %w", repository, tag, e.Platform, err)
		}
		att, err := r.Attach(ctx, repo, v.Root, scan.AttachOptions{})
		if err != nil {
			return err
		}
		if worstReport == nil || r.Level < worstReport.Level {
			worst, worstReport = att, r
		}
	}
	if worstReport == nil {
		return nil
	}
	p := scanlevel.Predicate{Level: worstReport.Level, Rules: worstReport.Rules, Scanner: worstReport.Scanner + " (mpakd)",
		Created: worstReport.CreatedAt, Report: worst.Report.Digest.String()}
	if _, err := scan.AttachVerdict(ctx, repo, v.Root, s.opts.Host+"/"+repository, p, s.opts.Key); err != nil {
		return err
	}
	s.opts.Logger.Info("scanned", "repository", repository, "tag", tag, "level", p.Level, "builds", len(v.Builds))
	if s.opts.Attached != nil {
		s.opts.Attached(ctx, repository, tag)
	}
	return nil
}

// scanBuild downloads one build to a temporary file and scans it up to L2:
// L3 and L4 need the publisher's keys and source, which mpakd has not.
func (s *Scanner) scanBuild(ctx context.Context, repo registry.Repository, e bundle.Entry) (*scan.Report, error) {
	art, err := bundle.Fetch(ctx, repo, e)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "mpakd-scan-*.mcpb")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := bundle.FetchBundle(ctx, repo, art.Layer, f, nil); err != nil {
		return nil, err
	}
	arc, err := mcpb.Open(f.Name(), mcpb.OpenOptions{VerifiedSHA256: art.Layer.Digest.Encoded()})
	if err != nil {
		return nil, err
	}
	defer arc.Close()
	return scan.Scan(ctx, arc, scan.Options{MaxLevel: 2, VulnDB: s.opts.VulnDB})
}
