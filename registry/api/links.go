package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/weburl"
)

// webLinks is the store as the APIs publish it: every address a publisher
// wrote (manifest.json's URL and path fields, the annotations made from
// them) is left out unless it is http(s), or a bundle path where the field
// takes one. Clients of /v1 and /v0.1 render these as links and images; a
// javascript: or data: value there runs in, or spoofs, their pages. The
// catalog keeps what was published; only what is served is filtered, so
// every answer of both APIs goes through here.
type webLinks struct{ catalog.Store }

func (s webLinks) Bundle(ctx context.Context, repository string) (*catalog.Bundle, error) {
	b, err := s.Store.Bundle(ctx, repository)
	if err != nil {
		return nil, err
	}
	c := *b
	c.Latest = safeLinks(c.Latest)
	return &c, nil
}

func (s webLinks) Versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	vs, err := s.Store.Versions(ctx, repository)
	return safeAll(vs), err
}

func (s webLinks) Version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	v, err := s.Store.Version(ctx, repository, version)
	if err != nil {
		return nil, err
	}
	c := safeLinks(*v)
	return &c, nil
}

func (s webLinks) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	return safeResults(s.Store.Search(ctx, q))
}

// SearchReadable is the store's, when it applies read rules itself.
func (s webLinks) SearchReadable(ctx context.Context, q catalog.Query, readable func(string) bool) (*catalog.Results, error) {
	rs, ok := s.Store.(catalog.ReadableSearcher)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return safeResults(rs.SearchReadable(ctx, q, readable))
}

func safeResults(r *catalog.Results, err error) (*catalog.Results, error) {
	if err != nil {
		return nil, err
	}
	c := *r
	c.Bundles = make([]catalog.Bundle, len(r.Bundles))
	for i, b := range r.Bundles {
		// A search hit shows no manifest.json, and filtering one is a
		// JSON decode per hit (most of what a search cost mpakd): hits
		// leave it out instead.
		b.Latest.Manifest = nil
		b.Latest = safeLinks(b.Latest)
		c.Bundles[i] = b
	}
	return &c, nil
}

func (s webLinks) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]catalog.Version, error) {
	vs, err := s.Store.List(ctx, after, since, latestOnly, limit)
	return safeAll(vs), err
}

// safeAll filters a copy: the store may share what it returns.
func safeAll(vs []catalog.Version) []catalog.Version {
	if vs == nil {
		return nil
	}
	out := make([]catalog.Version, len(vs))
	for i, v := range vs {
		out[i] = safeLinks(v)
	}
	return out
}

// isLinkAnnotation tells the annotations that hold addresses: the OCI ones
// mpak makes from manifest.json, and any other ending in "url".
func isLinkAnnotation(key string) bool {
	switch key {
	case ocispec.AnnotationURL, ocispec.AnnotationDocumentation, ocispec.AnnotationSource:
		return true
	}
	return strings.HasSuffix(strings.ToLower(key), "url")
}

// safeLinks returns v with its non-web addresses left out; v's maps and
// slices are not written to.
func safeLinks(v catalog.Version) catalog.Version {
	v.Homepage = weburl.String(v.Homepage)
	v.SourceURL = weburl.Source(v.SourceURL)
	if len(v.Annotations) > 0 {
		a := maps.Clone(v.Annotations)
		for k, val := range a {
			if !isLinkAnnotation(k) {
				continue
			}
			if k == ocispec.AnnotationSource && weburl.Source(val) == "" || k != ocispec.AnnotationSource && weburl.String(val) == "" {
				delete(a, k)
			}
		}
		v.Annotations = a
	}
	v.Manifest = safeManifest(v.Manifest)
	return v
}

// safeManifest is manifest.json without the address fields that are not
// web addresses; the bytes are unchanged when there are none, and when
// they do not parse (the handlers report a damaged row).
func safeManifest(raw []byte) []byte {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keeps numbers as the publisher wrote them
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return raw
	}
	changed := false
	keep := func(obj map[string]any, key string, ok func(string) string) {
		s, isString := obj[key].(string)
		if _, present := obj[key]; present && (!isString || ok(s) == "") {
			delete(obj, key)
			changed = true
		}
	}
	filter := func(key string, ok func(any) bool) {
		list, isList := m[key].([]any)
		if !isList {
			keep(m, key, func(string) string { return "" })
			return
		}
		out := make([]any, 0, len(list))
		for _, item := range list {
			if ok(item) {
				out = append(out, item)
			}
		}
		if len(out) != len(list) {
			m[key], changed = out, true
		}
	}
	isRef := func(item any) bool { s, ok := item.(string); return ok && weburl.Ref(s) != "" }
	isURL := func(item any) bool { s, ok := item.(string); return ok && weburl.String(s) != "" }

	for _, key := range []string{"homepage", "documentation", "support"} {
		keep(m, key, weburl.String)
	}
	keep(m, "icon", weburl.Ref)
	if author, ok := m["author"].(map[string]any); ok {
		keep(author, "url", weburl.String)
	}
	if repo, ok := m["repository"].(map[string]any); ok {
		keep(repo, "url", weburl.Source)
	}
	if _, ok := m["privacy_policies"]; ok {
		filter("privacy_policies", isURL)
	}
	if _, ok := m["screenshots"]; ok {
		filter("screenshots", isRef)
	}
	if _, ok := m["icons"]; ok {
		filter("icons", func(item any) bool {
			icon, ok := item.(map[string]any)
			return ok && isRef(icon["src"])
		})
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil // cannot happen for decoded JSON; never serve the unfiltered bytes
	}
	return out
}
