package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// A search page is the API's most frequent answer. Built as
// catalogapi.Bundle values and encoded with encoding/json, its hits were
// half of what a search cost mpakd (reflection, and a string or slice
// allocated per field). appendPage writes the same bytes straight from
// the catalog's bundles: TestSearchPageMatchesEncodingJSON holds it to
// encoding/json's encoding of catalogapi.SearchResponse (field order,
// omitempty, escaping) for every field of the types.

// writePage writes a search page; nothing when it cannot be encoded.
func writePage(w http.ResponseWriter, host string, n names, res *catalog.SharedResults, q catalog.Query) error {
	bp := pageBuffers.Get().(*[]byte)
	defer pageBuffers.Put(bp)
	b, err := appendPage((*bp)[:0], host, n, res, q)
	if err != nil {
		return fmt.Errorf("encoding the search page: %w", err)
	}
	*bp = b
	// With its length, the page goes out in one piece, not chunked.
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

var pageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// appendPage appends the page of res for q as encoding/json's Encoder
// writes a searchResponse (with its newline).
func appendPage(b []byte, host string, n names, res *catalog.SharedResults, q catalog.Query) ([]byte, error) {
	touch(res.Bundles)
	b = append(b, `{"bundles":[`...)
	for i, bundle := range res.Bundles {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendHit(b, host, n, bundle); err != nil {
			return b, err
		}
	}
	b = append(b, `],"total":`...)
	b = strconv.AppendInt(b, int64(res.Total), 10)
	b = append(b, `,"pagination":{"limit":`...)
	b = strconv.AppendInt(b, int64(q.Limit), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, int64(q.Offset), 10)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, q.Offset+len(res.Bundles) < res.Total)
	b = append(b, '}')
	if res.Facets != nil {
		f, err := json.Marshal(res.Facets)
		if err != nil {
			return b, err
		}
		b = append(b, `,"facets":`...)
		b = append(b, f...)
	}
	return append(b, "}\n"...), nil
}

// appendHit appends a search hit: catalogapi.Bundle's fields, from the
// bundle's latest version. It shows no address the publisher wrote
// (homepage, source, annotations), which is why search pages need not
// go through webLinks.
func appendHit(b []byte, host string, n names, bundle *catalog.Bundle) ([]byte, error) {
	v := &bundle.Latest
	b = append(b, `{"name":"`...)
	if rest, ok := n.scoped(bundle.Repository); ok {
		b = append(b, '@')
		b = appendEscaped(b, rest)
	} else {
		b = appendEscaped(b, bundle.Repository)
	}
	b = append(b, `","repository":`...)
	b = appendString(b, bundle.Repository)
	// reference(host, v), written in place.
	b = append(b, `,"reference":"`...)
	b = appendEscaped(b, host)
	b = append(b, '/')
	b = appendEscaped(b, v.Repository)
	switch {
	case v.Tampered != "":
		b = append(b, '@')
		b = appendEscaped(b, v.Digest)
	case v.Tag != "":
		b = append(b, ':')
		b = appendEscaped(b, v.Tag)
	default:
		b = append(b, ':')
		b = appendEscaped(b, v.Version)
	}
	b = append(b, '"')
	if v.DisplayName != "" {
		b = append(b, `,"display_name":`...)
		b = appendString(b, v.DisplayName)
	}
	b = append(b, `,"description":`...)
	b = appendString(b, v.Description)
	b = append(b, `,"version":`...)
	b = appendString(b, v.Version)
	b = append(b, `,"server_type":`...)
	b = appendString(b, v.ServerType)
	b = append(b, `,"platforms":[`...)
	for i := range v.Builds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v.Builds[i].Platform)
	}
	b = append(b, `],"tools":[`...)
	for i := range v.Tools {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v.Tools[i].Name)
	}
	b = append(b, `],"downloads":`...)
	b = strconv.AppendInt(b, bundle.Downloads, 10)
	b = append(b, `,"signed":`...)
	b = strconv.AppendBool(b, v.Signed)
	b = append(b, `,"level":`...)
	b = strconv.AppendInt(b, int64(v.Level), 10)
	b = append(b, `,"level_verified":`...)
	b = strconv.AppendBool(b, v.LevelVerified)
	if v.ClaimedLevel != 0 {
		b = append(b, `,"claimed_level":`...)
		b = strconv.AppendInt(b, int64(v.ClaimedLevel), 10)
	}
	b = append(b, `,"published_at":"`...)
	b, err := v.PublishedAt.AppendText(b)
	if err != nil {
		return b, fmt.Errorf("%s: published_at: %w", bundle.Repository, err)
	}
	b = append(b, `","yanked":`...)
	b = strconv.AppendBool(b, v.Yanked)
	if v.YankReason != "" {
		b = append(b, `,"yank_reason":`...)
		b = appendString(b, v.YankReason)
	}
	if v.Tampered != "" {
		b = append(b, `,"tampered":`...)
		b = appendString(b, v.Tampered)
	}
	return append(b, '}'), nil
}

// appendString quotes s as encoding/json does by default: <, > and &
// escaped for HTML, U+2028 and U+2029 for JavaScript, invalid UTF-8
// replaced.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped is appendString without the quotes.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: most text.
		if i += plainRun(s[i:]); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// plainRun is how many of s's leading bytes, in whole words of eight,
// need no escaping: each ASCII, at least 0x20, and none of " \ < > &.
// (The usual word-at-a-time tests for a byte below n and for a zero
// byte, x^c for each of the five, which are exact.)
func plainRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	n := 0
	for ; n+8 <= len(s); n += 8 {
		x := load8(s, n)
		q, bs, lt, gt, amp := x^'"'*ones, x^'\\'*ones, x^'<'*ones, x^'>'*ones, x^'&'*ones
		bad := x | (x-0x20*ones)&^x |
			(q-ones)&^q | (bs-ones)&^bs | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp
		if bad&highs != 0 {
			break
		}
	}
	return n
}

// load8 reads s[i:i+8] as a little-endian word (one load, once compiled).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// touch reads the first byte of each hit's strings, tools and builds
// before the page is written: the reads are independent of each other, so
// the processor waits for their cache misses side by side instead of one
// after another as appendHit meets them (a page's hits are scattered
// over the heap).
func touch(bundles []*catalog.Bundle) {
	var x byte
	for _, b := range bundles {
		v := &b.Latest
		if len(v.Repository) > 0 {
			x ^= v.Repository[0]
		}
		if len(v.Description) > 0 {
			x ^= v.Description[0]
		}
		if len(v.Tools) > 0 && len(v.Tools[0].Name) > 0 {
			x ^= v.Tools[0].Name[0]
		}
		if len(v.Builds) > 0 && len(v.Builds[0].Platform) > 0 {
			x ^= v.Builds[0].Platform[0]
		}
	}
	runtime.KeepAlive(x) // the reads are the point: keep them
}
