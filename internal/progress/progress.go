// Package progress draws transfer progress bars on a terminal. It is the
// front-end side of bundle.Progress; without a terminal nothing is drawn.
package progress

import (
	"io"
	"os"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Bars renders one bar per blob transfer.
type Bars struct {
	p    *mpb.Progress
	mu   sync.Mutex
	bars []*mpb.Bar
}

// New returns bars writing to out.
func New(out io.Writer) *Bars {
	return &Bars{p: mpb.New(mpb.WithOutput(out), mpb.WithWidth(32), mpb.WithAutoRefresh())}
}

// ForTerminal returns bars on stderr when it is a terminal and enabled is
// true, else nil (callers treat a nil Progress as "draw nothing").
func ForTerminal(enabled bool) *Bars {
	if !enabled || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return New(os.Stderr)
}

func (b *Bars) add(desc ocispec.Descriptor, name string) *mpb.Bar {
	if name == "" {
		name = desc.Digest.Encoded()[:12]
	}
	bar := b.p.AddBar(desc.Size,
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), " % .1f", decor.WCSyncSpace), " done"),
		),
	)
	b.mu.Lock()
	b.bars = append(b.bars, bar)
	b.mu.Unlock()
	return bar
}

// Track draws a bar fed by r.
func (b *Bars) Track(desc ocispec.Descriptor, name string, r io.Reader) io.Reader {
	rc, err := b.add(desc, name).ProxyReader(r)
	if err != nil {
		return r
	}
	return rc
}

// Skip draws a finished bar for a blob that was already present.
func (b *Bars) Skip(desc ocispec.Descriptor, name string) {
	bar := b.add(desc, name+" (exists)")
	bar.SetCurrent(desc.Size)
	bar.SetTotal(desc.Size, true)
}

// Close stops drawing; bars of failed transfers are aborted so the final
// frame does not wait for bytes that will never come.
func (b *Bars) Close() {
	b.mu.Lock()
	for _, bar := range b.bars {
		if !bar.Completed() {
			bar.Abort(false)
		}
	}
	b.mu.Unlock()
	b.p.Wait()
}
