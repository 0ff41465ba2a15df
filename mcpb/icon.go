package mcpb

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// pngSignature opens every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// checkIcon applies the mcpb CLI's icon rules, which its validate and pack
// enforce, so that a bundle mpak packs is one the CLI would pack: a local
// icon must be a PNG file in the bundle, named by a relative path without
// ${__dirname}. An address with a scheme is left alone (the CLI only
// advises against an http(s) icon). Only the top-level
// "icon" is checked, as by the CLI; icons[] entries are not.
func (p *packPlan) checkIcon() error {
	icon := p.manifest.Icon
	if icon == "" || linkScheme(icon) != "" {
		// An address, not a path. The CLI looks for a file named
		// "javascript:alert(1)" and refuses; we leave a non-http(s)
		// address to the link warning, which names the scheme and which
		// `mpak bundle pack --strict` refuses (registry rule icon-link-warns).
		return nil
	}
	bad := func(format string, args ...any) error {
		return &ValidationError{Problems: []Problem{{Path: "icon", Message: fmt.Sprintf(format, args...)}}}
	}
	if strings.Contains(icon, "${__dirname}") {
		return bad("%q must not use ${__dirname}: hosts do not substitute it in icon; use a path relative to the bundle root, such as icon.png", icon)
	}
	if strings.HasPrefix(icon, "/") || strings.HasPrefix(icon, `\`) {
		return bad("%q is an absolute path; use a path relative to the bundle root, such as icon.png", icon)
	}
	rel := cleanBundlePath(icon)
	f := p.file(rel)
	if rel == "" || f == nil {
		return bad("%q is not in the bundle; add the PNG file or fix the path", icon)
	}
	head, err := f.head(len(pngSignature))
	if err != nil {
		return fmt.Errorf("icon: read %s: %w", icon, err)
	}
	if !bytes.Equal(head, pngSignature) {
		return bad("%q is not a PNG file; hosts show PNG icons only (512x512 is best), so convert it", icon)
	}
	return nil
}

// file returns the packed file at rel, or nil.
func (p *packPlan) file(rel string) *packFile {
	for i := range p.files {
		if p.files[i].rel == rel {
			return &p.files[i]
		}
	}
	return nil
}

// head reads the first n bytes of f, fewer when it is shorter.
func (f *packFile) head(n int) ([]byte, error) {
	if f.src == "" {
		return f.data[:min(n, len(f.data))], nil
	}
	r, err := os.Open(f.src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, n)
	got, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:got], err
}
