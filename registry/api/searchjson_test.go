package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// appendPage writes what encoding/json writes of the page as the API
// types describe it, for every field of the catalog's bundles filled at
// random (a field added to catalogapi.Bundle and not to appendHit fails
// here), with strings that need every kind of escape.
func TestSearchPageMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"", "a", "weather", `"`, `\`, "<script>", "&amp;", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f",
		"\x7f", "é", "日本", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀", " ", "/", "acme/weather", "a/b/c"}
	str := func() string {
		if r.IntN(4) == 0 {
			return ""
		}
		var s string
		for range r.IntN(6) {
			s += pieces[r.IntN(len(pieces))]
		}
		return s
	}
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(str())
		case reflect.Bool:
			v.SetBool(r.IntN(2) == 0)
		case reflect.Int, reflect.Int64:
			v.SetInt([]int64{0, 1, -3, 42, 1 << 40}[r.IntN(5)])
		case reflect.Slice:
			if r.IntN(5) == 0 {
				v.Set(reflect.Zero(v.Type()))
				return
			}
			s := reflect.MakeSlice(v.Type(), r.IntN(4), 4)
			for i := range s.Len() {
				fill(s.Index(i))
			}
			v.Set(s)
		case reflect.Uint8:
			v.SetUint(uint64(r.IntN(256)))
		case reflect.Map:
			m := reflect.MakeMap(v.Type())
			for range r.IntN(3) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(k)
				fill(e)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		case reflect.Pointer:
			if r.IntN(2) == 0 {
				p := reflect.New(v.Type().Elem())
				fill(p.Elem())
				v.Set(p)
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				ts := []time.Time{{}, time.Date(2026, 12, 6, 3, 4, 5, 123456789, time.UTC),
					time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -7*3600-1800)), time.Unix(1, 0)}
				v.Set(reflect.ValueOf(ts[r.IntN(len(ts))]))
				return
			}
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		default:
			t.Fatalf("no filler for %s: teach this test the new field", v.Type())
		}
	}
	for i := range 3000 {
		var res catalog.Results
		fill(reflect.ValueOf(&res).Elem())
		n := names{namespace: []string{"", "ns", "a/b"}[r.IntN(3)]}
		host := []string{"registry.example.com", "127.0.0.1:5000", "h<&>"}[r.IntN(3)]
		q := catalog.Query{Limit: 1 + r.IntN(100), Offset: r.IntN(50)}

		want := searchResponse{SearchResponse: catalogapi.SearchResponse{
			Bundles: []catalogapi.Bundle{}, Total: res.Total,
			Pagination: catalogapi.Pagination{Limit: q.Limit, Offset: q.Offset, HasMore: q.Offset+len(res.Bundles) < res.Total},
		}, Facets: res.Facets}
		for j := range res.Bundles {
			want.Bundles = append(want.Bundles, referenceHit(n, host, &res.Bundles[j]))
		}
		var wantJSON bytes.Buffer
		if err := json.NewEncoder(&wantJSON).Encode(&want); err != nil {
			t.Fatal(err)
		}
		got, err := appendPage(nil, host, n, shared(&res), q)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got, wantJSON.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, wantJSON.Bytes())
		}
	}

	// A year RFC 3339 cannot write is an error, as in encoding/json.
	odd := catalog.Results{Bundles: []catalog.Bundle{{Latest: catalog.Version{PublishedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}}
	if _, err := appendPage(nil, "h", names{}, shared(&odd), catalog.Query{}); err == nil {
		t.Error("appendPage wrote the year 10000, which encoding/json refuses")
	}
}

// searchResponse and referenceHit are the page as the API types describe
// it: what appendPage must write.
type searchResponse struct {
	catalogapi.SearchResponse
	Facets *catalog.Facets `json:"facets,omitempty"`
}

func referenceHit(n names, host string, b *catalog.Bundle) catalogapi.Bundle {
	v := &b.Latest
	tools := make([]string, 0, len(v.Tools))
	for _, t := range v.Tools {
		tools = append(tools, t.Name)
	}
	return catalogapi.Bundle{
		Name: n.display(b.Repository), Repository: b.Repository, Reference: reference(host, v),
		DisplayName: v.DisplayName, Description: v.Description, Version: v.Version, ServerType: v.ServerType,
		Platforms: platforms(v), Tools: tools, Downloads: b.Downloads, Signed: v.Signed, Level: v.Level,
		LevelVerified: v.LevelVerified, ClaimedLevel: v.ClaimedLevel, PublishedAt: v.PublishedAt,
		Yanked: v.Yanked, YankReason: v.YankReason, Tampered: v.Tampered,
	}
}

// plainRun agrees with a byte-by-byte reading for any one or two bytes of
// every value placed anywhere in a word of plain ones.
func TestPlainRun(t *testing.T) {
	safe := func(c byte) bool {
		return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	for i := range 8 {
		for j := i; j < 8; j++ {
			for a := range 256 {
				for b := range 256 {
					w := []byte("abcdefgh")
					w[i], w[j] = byte(a), byte(b)
					want := true
					for _, c := range w {
						want = want && safe(c)
					}
					if got := plainRun(string(w)) == 8; got != want {
						t.Fatalf("plainRun(%q) == 8 is %v, want %v", w, got, want)
					}
				}
			}
		}
	}
}

// A page of 20 hits as the benchmark catalog makes them, written by
// encoding/json from the API types and by appendPage.
func BenchmarkSearchPage(b *testing.B) {
	res := catalog.Results{Total: 3000}
	for i := range 20 {
		res.Bundles = append(res.Bundles, catalog.Bundle{Repository: "acme/weather-tools", Downloads: int64(1000 * i),
			Latest: catalog.Version{
				Repository: "acme/weather-tools", Version: "1.2.0", Tag: "1.2.0", DisplayName: "Weather Tools",
				Description: "Weather forecasts and alerts for any city, with radar maps & historical data",
				ServerType:  "node", Builds: []catalog.Build{{Platform: "linux/amd64"}, {Platform: "darwin/arm64"}},
				Tools: []catalog.Tool{{Name: "get_forecast"}, {Name: "get_alerts"}, {Name: "radar_map"}}, Level: 2,
				PublishedAt: time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC),
			}})
	}
	q := catalog.Query{Limit: 20}
	const host = "registry.example.com"
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			page := searchResponse{SearchResponse: catalogapi.SearchResponse{Total: res.Total,
				Pagination: catalogapi.Pagination{Limit: q.Limit, HasMore: true}}}
			for i := range res.Bundles {
				page.Bundles = append(page.Bundles, referenceHit(names{}, host, &res.Bundles[i]))
			}
			_ = json.NewEncoder(&buf).Encode(&page)
		}
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("appendPage", func(b *testing.B) {
		var out []byte
		page := shared(&res)
		for b.Loop() {
			out, _ = appendPage(out[:0], host, names{}, page, q)
		}
		b.SetBytes(int64(len(out)))
	})
}

// A page says its length, so it is not sent chunked.
func TestSearchPageLength(t *testing.T) {
	res := catalog.Results{Total: 1, Bundles: []catalog.Bundle{{Repository: "acme/w", Latest: catalog.Version{Repository: "acme/w", Version: "1.0.0"}}}}
	rec := httptest.NewRecorder()
	if err := writePage(rec, "h", names{}, shared(&res), catalog.Query{Limit: 20}); err != nil {
		t.Fatal(err)
	}
	var page catalogapi.SearchResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Bundles) != 1 || page.Bundles[0].Reference != "h/acme/w:1.0.0" {
		t.Fatalf("page %s: %v", rec.Body, err)
	}
	if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("Content-Length = %q, want %s", got, want)
	}
}
