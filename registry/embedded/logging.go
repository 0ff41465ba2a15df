package embedded

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sirupsen/logrus"
)

// distribution logs through logrus's process-wide standard logger, which
// mpakd cannot give a logger per registry. Its entries are sent on to the
// slog logger of the registry opened last: one mpakd process serves one
// registry.
var (
	bridgeOnce   sync.Once
	bridgeTarget atomic.Pointer[slog.Logger]
)

// bridgeLogs sends distribution's log entries to log from now on, instead
// of its own text on stderr. Errors reach log at error level, except those
// about an answer (http.response.status), which go at debug with the rest:
// distribution logs every 404 (a client probing for a blob or tag it does
// not have) as an error, which is how registries work, not a fault; and a
// 5xx answer carries its cause in its body, which mpakd's request log
// writes at error level (registry/server), once per failure.
func bridgeLogs(log *slog.Logger) {
	bridgeOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(bridgeHook{})
	})
	bridgeTarget.Store(log)
}

// unbridge stops sending entries to log, if it still receives them.
func unbridge(log *slog.Logger) { bridgeTarget.CompareAndSwap(log, nil) }

type bridgeHook struct{}

func (bridgeHook) Levels() []logrus.Level { return logrus.AllLevels }

func (bridgeHook) Fire(e *logrus.Entry) error {
	log := bridgeTarget.Load()
	if log == nil {
		return nil
	}
	level := slog.LevelDebug
	if _, answer := e.Data["http.response.status"]; e.Level <= logrus.ErrorLevel && !answer {
		level = slog.LevelError
	}
	ctx := context.Background()
	if e.Context != nil {
		ctx = context.WithoutCancel(e.Context)
	}
	if !log.Enabled(ctx, level) {
		return nil
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		if k != "go.version" && k != "instance.id" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	attrs := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		attrs = append(attrs, k, fmt.Sprint(e.Data[k]))
	}
	log.Log(ctx, level, "registry: "+e.Message, attrs...)
	return nil
}
