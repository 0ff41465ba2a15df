package mcpb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ParseOptions control how strictly ParseManifest judges a manifest.
type ParseOptions struct {
	// Strict rejects everything the MCPB CLI's strict schemas reject,
	// including unknown keys and keys newer than manifest_version. Use it
	// for bundles you publish. Without it (the default, for reading other
	// people's bundles) such findings become warnings and only what makes
	// a bundle unusable is an error.
	Strict bool
	// RequireSemver turns a version that is not strict semver into an
	// error; otherwise it is a warning.
	RequireSemver bool
}

// SyntaxError reports a manifest.json that is not well-formed JSON.
type SyntaxError struct {
	Line, Column int   // 1-based; Column counts bytes
	Offset       int64 // byte offset where the problem was noticed
	Err          error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid manifest.json: line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// ParseManifest validates manifest.json and returns its typed view and the
// warnings found. The error is a *SyntaxError for malformed JSON or a
// *ValidationError listing every problem at once. Warnings are returned
// even when there is an error.
func ParseManifest(data []byte, opts ParseOptions) (*Manifest, []Problem, error) {
	doc, err := decodeDocument(data)
	if err != nil {
		return nil, nil, err
	}
	v := &validator{strict: opts.Strict}
	v.version = v.detectVersion(doc)
	if v.version == "" {
		return nil, v.warns, &ValidationError{Problems: v.errs}
	}
	v.checkSchema(doc)
	v.checkRules(doc, opts.RequireSemver)
	if len(v.errs) > 0 {
		return nil, v.warns, &ValidationError{Problems: v.errs}
	}

	m, err := decodeManifest(doc)
	if err != nil {
		return nil, v.warns, err
	}
	m.ManifestVersion = v.version
	m.Raw = bytes.Clone(data)
	return m, v.warns, nil
}

// decodeDocument reads exactly one JSON object, keeping numbers as
// json.Number so that the validator can tell 1 from 1.0e400.
func decodeDocument(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ValidationError{Problems: []Problem{{Message: "file is empty (want a JSON object with manifest_version, name, version, description, author and server)"}}}
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, &SyntaxError{Line: 1, Column: 1, Err: errors.New("file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM")}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return nil, syntaxError(data, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntaxError(data, dec.InputOffset()-1, errors.New("unexpected data after the top-level JSON object"))
	}
	doc, ok := val.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("want a JSON object at the top level, got %s", jsonTypeName(val))}}}
	}
	return doc, nil
}

func syntaxError(data []byte, off int64, err error) error {
	// Offsets count the bytes read, including the offending one; report the
	// position of that byte.
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = int64(len(data))
		err = errors.New("unexpected end of JSON input (is the file truncated?)")
	}
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return &SyntaxError{Line: line, Column: col, Offset: off, Err: err}
}

// detectVersion picks the schema: manifest_version, else the legacy
// dxt_version. It returns "" when no schema applies.
func (v *validator) detectVersion(doc map[string]any) string {
	supported := strings.Join(SupportedManifestVersions, ", ")
	read := func(name string) (string, bool) {
		raw, present := doc[name]
		if !present {
			return "", false
		}
		s, ok := raw.(string)
		if !ok {
			v.report(name, hard, "want a string such as %q, got %s", ManifestVersion03, jsonTypeName(raw))
			return "", false
		}
		if !slices.Contains(SupportedManifestVersions, s) {
			v.report(name, hard, "unsupported version %q (supported: %s)", s, supported)
			return "", false
		}
		return s, true
	}
	_, hasMV := doc["manifest_version"]
	_, hasDV := doc["dxt_version"]
	mv, okMV := read("manifest_version")
	dv, okDV := read("dxt_version")
	if len(v.errs) > 0 {
		return ""
	}
	switch {
	case !hasMV && !hasDV:
		v.report("manifest_version", hard, "required field is missing (add \"manifest_version\": %q; supported: %s)",
			ManifestVersion03, supported)
		return ""
	case okMV && okDV && mv != dv:
		v.report("dxt_version", hard, "%q disagrees with manifest_version %q (remove the deprecated dxt_version)", dv, mv)
		return ""
	case okDV && okMV:
		v.report("dxt_version", advice, "deprecated: use manifest_version (it is already set, so remove dxt_version)")
		return mv
	case okDV:
		v.report("dxt_version", advice, "deprecated: use manifest_version (rename the key)")
		return dv
	}
	return mv
}

// decodeManifest builds the typed view from the validated document. The
// validator has removed unknown keys, so encoding/json's case-insensitive
// key matching cannot pick up a stray "Name" or "NAME".
func decodeManifest(doc map[string]any) (*Manifest, error) {
	clean, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("re-encode manifest.json: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		// The validator should have caught any type mismatch; reaching
		// here is a bug in this package, not in the manifest.
		return nil, fmt.Errorf("decode validated manifest.json (please report this bug): %w", err)
	}
	for name, opt := range m.UserConfig {
		opt.Default = normalizeDefault(opt.Default)
		m.UserConfig[name] = opt
	}
	return &m, nil
}

// normalizeDefault turns json.Number into float64 and []any into []string,
// the types documented on UserConfigOption.Default.
func normalizeDefault(v any) any {
	switch d := v.(type) {
	case json.Number:
		f, _ := d.Float64()
		return f
	case []any:
		out := make([]string, 0, len(d))
		for _, item := range d {
			s, _ := item.(string)
			out = append(out, s)
		}
		return out
	}
	return v
}
