package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
)

// appendSearch writes what encoding/json writes, for every field of the
// response types filled at random (a field added to them and not to
// appendSearch fails here), with strings that need every kind of escape.
func TestSearchJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"", "a", "weather", `"`, `\`, "<script>", "&amp;", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f",
		"\x7f", "é", "日本", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀", " ", "/"}
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
			t.Fatalf("no filler for %s: teach this test and appendSearch the new field", v.Type())
		}
	}
	for i := range 3000 {
		var resp catalogapi.SearchResponse
		fill(reflect.ValueOf(&resp).Elem())
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(&resp); err != nil {
			t.Fatal(err)
		}
		got, ok := appendSearch(nil, &resp)
		if !ok {
			t.Fatalf("case %d: appendSearch gave up on %+v", i, resp)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}

	// A year RFC 3339 cannot write: appendSearch leaves it to encoding/json.
	odd := catalogapi.SearchResponse{Bundles: []catalogapi.Bundle{{PublishedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if _, ok := appendSearch(nil, &odd); ok {
		t.Error("appendSearch wrote the year 10000, which encoding/json refuses")
	}
}

// plain8 agrees with a byte-by-byte reading for any one or two bytes of
// every value placed anywhere in a word of plain ones.
func TestPlain8(t *testing.T) {
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
					if got := plain8(load8(string(w), 0)); got != want {
						t.Fatalf("plain8(%q) = %v, want %v", w, got, want)
					}
				}
			}
		}
	}
}
