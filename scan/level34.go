package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/mpak-oci/mpak/mcpb"
)

var signatureControl = control{
	id: "L3.signature", level: 3, title: "the version carries a valid signature",
	remediation: "sign it: mpak bundle sign REF --key cosign.key",
	run: func(_ *bundle, opts Options, _ *Report, res *Result) {
		switch {
		case opts.Trust == nil:
			res.skip("signatures were not checked (scan a registry reference with --key)")
		case !opts.Trust.Signed:
			res.fail("no signature verifies with the given key", Evidence{Message: "unsigned"})
		default:
			res.pass("signed by " + strings.Join(opts.Trust.SignedBy, ", "))
		}
	},
}

var provenanceControl = control{
	id: "L3.provenance", level: 3, title: "a build provenance attestation names this bundle and its declared source",
	remediation: "attest the build: mpak bundle attest REF --key cosign.key --slsa, from the repository manifest.json declares",
	run: func(b *bundle, opts Options, _ *Report, res *Result) {
		if opts.Trust == nil {
			res.skip("attestations were not checked (scan a registry reference with --key)")
			return
		}
		p := opts.Trust.Provenance
		if p == nil {
			res.fail("no verified SLSA provenance attestation", Evidence{Message: "no provenance"})
			return
		}
		if !slices.Contains(p.Subjects, b.archive.SHA256) {
			res.Evidence = append(res.Evidence, Evidence{Message: fmt.Sprintf("the provenance's subjects %v do not include this bundle's sha256 %s", p.Subjects, b.archive.SHA256)})
		}
		declared := ""
		if r := b.archive.Manifest.Repository; r != nil {
			declared = r.URL
		}
		if normalizeRepo(p.SourceRepo) != normalizeRepo(declared) || declared == "" {
			res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: fmt.Sprintf("built from %q, but manifest.json declares repository %q", p.SourceRepo, declared)})
		}
		if len(res.Evidence) > 0 {
			res.fail("the provenance does not match the bundle")
			return
		}
		res.pass(fmt.Sprintf("built from %s@%s", p.SourceRepo, p.SourceRevision))
	},
}

// normalizeRepo compares repository URLs the way people write them.
func normalizeRepo(u string) string {
	u = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(u)), "git+")
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
}

// dangerous are code patterns that run strings as code or through a
// shell, by language.
var dangerous = map[string][]struct {
	re   *regexp.Regexp
	what string
}{
	"js": {
		{regexp.MustCompile(`\beval\s*\(`), "eval()"},
		{regexp.MustCompile(`\bnew\s+Function\s*\(`), "new Function()"},
		{regexp.MustCompile(`\b(exec|execSync)\s*\(\s*(` + "`" + `[^` + "`" + `]*\$\{|[^)]*\+)`), "child_process exec with a built command string"},
		{regexp.MustCompile(`shell\s*:\s*true`), "spawn with shell: true"},
	},
	"py": {
		{regexp.MustCompile(`(^|[^.\w])(eval|exec)\s*\(`), "eval()/exec()"},
		{regexp.MustCompile(`\bos\.(system|popen)\s*\(`), "os.system()/os.popen()"},
		{regexp.MustCompile(`subprocess\.\w+\([^)]*shell\s*=\s*True`), "subprocess with shell=True"},
	},
	"go": {
		{regexp.MustCompile(`exec\.Command(Context)?\([^)]*"(sh|bash|/bin/sh|/bin/bash|cmd|cmd\.exe|powershell)"\s*,\s*"(-c|/c|-Command)"`), "exec.Command through a shell"},
	},
}

var langOf = map[string]string{".js": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".py": "py", ".go": "go"}

// dependencyDirs hold third-party code; the control reads the server's own.
func isDependency(p string) bool {
	for _, d := range []string{"node_modules/", "site-packages/", ".venv/", "venv/", "vendor/", "lib/python"} {
		if strings.HasPrefix(p, d) || strings.Contains(p, "/"+d) {
			return true
		}
	}
	return false
}

var dangerousCodeControl = control{
	id: "L3.dangerous-code", level: 3, title: "no dangerous exec/eval patterns in the server's code",
	remediation: "pass arguments as a list to a program instead of building a shell string, and never evaluate strings as code",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		scanned := 0
		for _, f := range b.archive.Files {
			lang := langOf[path.Ext(f.Path)]
			data, ok := b.files[f.Path]
			if lang == "" || !ok || isDependency(f.Path) {
				continue
			}
			scanned++
			for _, p := range dangerous[lang] {
				for _, loc := range p.re.FindAllIndex(data, -1) {
					res.Evidence = append(res.Evidence, Evidence{File: f.Path, Line: lineOf(data, loc[0]), Message: p.what})
				}
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d dangerous patterns", len(res.Evidence)))
			return
		}
		res.pass(fmt.Sprintf("%d source files, none dangerous", scanned))
	},
}

var reproducibleControl = control{
	id: "L4.reproducible", level: 4, title: "packing the declared source reproduces the bundle byte for byte",
	remediation: "pack with mpak bundle pack from the tagged source, with SOURCE_DATE_EPOCH fixed, and publish that file",
	run: func(b *bundle, opts Options, _ *Report, res *Result) {
		if opts.Source == "" {
			res.skip("no source tree given (--source DIR)")
			return
		}
		h := sha256.New()
		// Entries carry the timestamp the bundle was packed with.
		var mod = b.archive.Files[0].Modified
		if _, err := mcpb.Pack(opts.Source, h, mcpb.PackOptions{ModTime: mod}); err != nil {
			res.Status, res.Message = Error, "packing the source: "+err.Error()
			return
		}
		got := hex.EncodeToString(h.Sum(nil))
		if got != b.archive.SHA256 {
			res.fail("the source packs to different bytes", Evidence{Message: fmt.Sprintf("packed sha256 %s, published %s", got, b.archive.SHA256)})
			return
		}
		res.pass("reproduced sha256 " + got)
	},
}

var revisionControl = control{
	id: "L4.revision", level: 4, title: "the provenance's revision is the bundle's revision annotation",
	remediation: "publish with org.opencontainers.image.revision set to the commit the provenance names",
	run: func(_ *bundle, opts Options, _ *Report, res *Result) {
		switch {
		case opts.Trust == nil || opts.Trust.Provenance == nil:
			res.skip("no verified provenance to compare")
		case opts.Trust.Revision == "":
			res.fail("the version has no org.opencontainers.image.revision annotation", Evidence{Message: "no revision annotation"})
		case opts.Trust.Revision != opts.Trust.Provenance.SourceRevision:
			res.fail("revisions differ", Evidence{Message: fmt.Sprintf("annotation %s, provenance %s", opts.Trust.Revision, opts.Trust.Provenance.SourceRevision)})
		default:
			res.pass("revision " + opts.Trust.Revision)
		}
	},
}
