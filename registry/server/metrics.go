package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are mpakd's Prometheus series. Each server has its own registry,
// so several servers in one process (tests) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	indexed  *prometheus.CounterVec
	// pushed counts manifests stored under a tag, by kind.
	pushed *prometheus.CounterVec
	// indexLag is how long after a push its version was indexed.
	indexLag     *prometheus.HistogramVec
	storeLatency *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpakd_http_requests_total", Help: "HTTP requests by API and status class.",
		}, []string{"api", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mpakd_http_request_duration_seconds", Help: "Time to the end of the response, by API.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"api"}),
		indexed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpakd_index_events_total", Help: "Pushed versions indexed, by result.",
		}, []string{"result"}),
		pushed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mpakd_pushed_manifests_total", Help: "Manifests stored under a tag, by kind: bundle (a version published), attachment (signature, scan report, yank), other (a container image or another artifact; not indexed).",
		}, []string{"kind"}),
	}
	m.indexLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mpakd_index_lag_seconds", Help: "From a push (its tag written, or the time the upstream's event gives) to its version indexed, by source.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"source"})
	m.storeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mpakd_store_duration_seconds", Help: "Catalog store calls, by operation.",
		Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op"})
	m.reg.MustRegister(m.requests, m.latency, m.indexed, m.pushed, m.indexLag, m.storeLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// downloads exposes the download counter: recorded but not yet in the
// store, and added to the store.
func (m *metrics) downloads(pending func() int, counted func() int64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mpakd_downloads_pending", Help: "Downloads in the write-ahead log, not yet in the store.",
	}, func() float64 { return float64(pending()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mpakd_downloads_counted_total", Help: "Downloads this process added to the catalog's counts.",
		}, func() float64 { return float64(counted()) }))
}

// searchCache exposes the search cache's hits and misses.
func (m *metrics) searchCache(counts func() (hits, misses int64)) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mpakd_search_cache_hits_total", Help: "Searches answered from the result cache.",
		}, func() float64 { h, _ := counts(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mpakd_search_cache_misses_total", Help: "Searches the catalog store ran.",
		}, func() float64 { _, m := counts(); return float64(m) }))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// apiOf names the part of the server a path belongs to; a bounded label set
// keeps the series count small whatever clients request.
func apiOf(path string) string {
	for _, p := range []string{"/v2/", "/v1/", "/v0.1/", "/v0/", "/metrics", "/healthz"} {
		if strings.HasPrefix(path, p) {
			return strings.Trim(p, "/")
		}
	}
	return "other"
}

// codeWriter records the status for the request counter.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &codeWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		if cw.code == 0 {
			cw.code = http.StatusOK
		}
		a := apiOf(r.URL.Path)
		m.requests.WithLabelValues(a, r.Method, strconv.Itoa(cw.code/100)+"xx").Inc()
		m.latency.WithLabelValues(a).Observe(time.Since(start).Seconds())
	})
}
