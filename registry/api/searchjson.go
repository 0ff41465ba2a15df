package api

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/catalogapi"
)

// A search page is the API's most frequent answer, and encoding/json's
// reflection was a quarter of what one cost mpakd. appendSearch writes
// the same bytes without it: TestSearchJSONMatchesEncodingJSON holds it to
// encoding/json's output (field order, omitempty, escaping) for every
// field of the types.

// writeSearch writes a search page as writeJSON would.
func writeSearch(w http.ResponseWriter, r *catalogapi.SearchResponse) {
	bp := searchBuffers.Get().(*[]byte)
	defer searchBuffers.Put(bp)
	b, ok := appendSearch((*bp)[:0], r)
	if !ok {
		writeJSON(w, http.StatusOK, r)
		return
	}
	*bp = b
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

var searchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// appendSearch appends r as encoding/json's Encoder writes it (with its
// newline). It reports false for what it does not write as encoding/json
// would (a time outside RFC 3339's years), for the caller to fall back.
func appendSearch(b []byte, r *catalogapi.SearchResponse) ([]byte, bool) {
	b = append(b, `{"bundles":`...)
	if r.Bundles == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Bundles {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendBundle(b, &r.Bundles[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(r.Total), 10)
	b = append(b, `,"pagination":{"limit":`...)
	b = strconv.AppendInt(b, int64(r.Pagination.Limit), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, int64(r.Pagination.Offset), 10)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, r.Pagination.HasMore)
	return append(b, "}}\n"...), true
}

func appendBundle(b []byte, h *catalogapi.Bundle) ([]byte, bool) {
	b = append(b, `{"name":`...)
	b = appendString(b, h.Name)
	b = append(b, `,"repository":`...)
	b = appendString(b, h.Repository)
	b = append(b, `,"reference":`...)
	b = appendString(b, h.Reference)
	if h.DisplayName != "" {
		b = append(b, `,"display_name":`...)
		b = appendString(b, h.DisplayName)
	}
	b = append(b, `,"description":`...)
	b = appendString(b, h.Description)
	b = append(b, `,"version":`...)
	b = appendString(b, h.Version)
	b = append(b, `,"server_type":`...)
	b = appendString(b, h.ServerType)
	b = append(b, `,"platforms":`...)
	b = appendStrings(b, h.Platforms)
	b = append(b, `,"tools":`...)
	b = appendStrings(b, h.Tools)
	b = append(b, `,"downloads":`...)
	b = strconv.AppendInt(b, h.Downloads, 10)
	b = append(b, `,"signed":`...)
	b = strconv.AppendBool(b, h.Signed)
	b = append(b, `,"level":`...)
	b = strconv.AppendInt(b, int64(h.Level), 10)
	b = append(b, `,"level_verified":`...)
	b = strconv.AppendBool(b, h.LevelVerified)
	if h.ClaimedLevel != 0 {
		b = append(b, `,"claimed_level":`...)
		b = strconv.AppendInt(b, int64(h.ClaimedLevel), 10)
	}
	b = append(b, `,"published_at":"`...)
	b, err := h.PublishedAt.AppendText(b)
	if err != nil {
		return b, false
	}
	b = append(b, `","yanked":`...)
	b = strconv.AppendBool(b, h.Yanked)
	if h.YankReason != "" {
		b = append(b, `,"yank_reason":`...)
		b = appendString(b, h.YankReason)
	}
	if h.Tampered != "" {
		b = append(b, `,"tampered":`...)
		b = appendString(b, h.Tampered)
	}
	return append(b, '}'), true
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString quotes s as encoding/json does by default: <, > and &
// escaped for HTML, U+2028 and U+2029 for JavaScript, invalid UTF-8
// replaced.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: most text.
		if i+8 <= len(s) && plain8(load8(s, i)) {
			i += 8
			continue
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
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain8 tells that none of x's eight bytes needs escaping: each is
// ASCII, at least 0x20, and none of " \ < > &. (The usual word-at-a-time
// tests for a zero byte and for a byte below n, which are exact.)
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	bad := x&highs | (x-0x20*ones)&^x&highs |
		zero(x^'"'*ones) | zero(x^'\\'*ones) | zero(x^'<'*ones) | zero(x^'>'*ones) | zero(x^'&'*ones)
	return bad == 0
}

// load8 reads s[i:i+8] as a little-endian word (one load, once compiled).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
