package scan

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/mpak-oci/mpak/mcpb"
)

var manifestControl = control{
	id: "L1.manifest", level: 1, title: "manifest.json is valid for its manifest_version",
	remediation: "fix the fields named, or run mpak bundle pack, which validates strictly",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		_, problems, err := mcpb.ParseManifest(b.archive.Manifest.Raw, mcpb.ParseOptions{Strict: true})
		if err != nil {
			res.fail("manifest.json does not validate", Evidence{File: "manifest.json", Message: err.Error()})
			return
		}
		for _, p := range problems {
			res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: p.String()})
		}
		if len(problems) > 0 {
			res.fail(fmt.Sprintf("%d problems under strict validation", len(problems)))
			return
		}
		res.pass("valid for manifest_version " + b.archive.Manifest.ManifestVersion)
	},
}

var toolsControl = control{
	id: "L1.tools", level: 1, title: "tools are declared with names and descriptions",
	remediation: "list every tool in manifest.json \"tools\" with a description of what it does",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		m := b.archive.Manifest
		if len(m.Tools) == 0 {
			res.fail("manifest.json declares no tools, so users cannot see what the server can do", Evidence{File: "manifest.json", Message: "tools is empty"})
			return
		}
		for _, t := range m.Tools {
			if strings.TrimSpace(t.Description) == "" {
				res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: fmt.Sprintf("tool %q has no description", t.Name)})
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d of %d tools lack a description", len(res.Evidence), len(m.Tools)))
			return
		}
		res.pass(fmt.Sprintf("%d tools, all described", len(m.Tools)))
	},
}

var (
	detectorOnce sync.Once
	detector     *detect.Detector
	detectorErr  error
	// detectMu: a gitleaks Detector keeps per-run state.
	detectMu sync.Mutex
)

var secretsControl = control{
	id: "L1.secrets", level: 1, title: "no secrets in the bundle (gitleaks' rules)",
	remediation: "remove the secret from the files, rotate it, and read it from user_config (sensitive) at run time instead",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		// gitleaks' default configuration is read through a global viper
		// instance: build the detector once.
		detectorOnce.Do(func() { detector, detectorErr = detect.NewDetectorDefaultConfig() })
		if detectorErr != nil {
			res.Status, res.Message = Error, "loading gitleaks' rules: "+detectorErr.Error()
			return
		}
		detectMu.Lock()
		defer detectMu.Unlock()
		for _, f := range b.archive.Files {
			data, ok := b.files[f.Path]
			if !ok || !text(data) {
				continue
			}
			//lint:ignore SA1019 gitleaks v8's Detector.Detect takes only detect.Fragment; its replacement, sources.Fragment, is for v9
			for _, fi := range detector.Detect(detect.Fragment{Raw: string(data), FilePath: f.Path}) {
				res.Evidence = append(res.Evidence, Evidence{File: f.Path, Line: fi.StartLine + 1,
					Message: fmt.Sprintf("%s (%s): %s", fi.Description, fi.RuleID, redact(fi.Secret))})
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d secrets found", len(res.Evidence)))
			return
		}
		res.pass("no secrets found")
	},
}

// redact keeps a secret's first characters, enough to recognise it.
func redact(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", len(s)-4)
}

// hookPatterns are what install-time scripts have no business doing:
// fetching and running code, or decoding and evaluating it.
var hookPatterns = regexp.MustCompile(`(?i)(curl|wget|Invoke-WebRequest|iwr)\b[^|;&]*(\||;|&&)\s*(ba|z|da)?sh\b|(curl|wget)\s+[^ ]*https?://|node\s+-e\b|python[0-9.]*\s+-c\b|\beval\b|base64\s+(-d|--decode)|powershell\s+-(enc|e)\b|\bnc\s+-e\b|/dev/tcp/`)

var hooksControl = control{
	id: "L1.install-hooks", level: 1, title: "no malicious install hooks",
	remediation: "remove the install script, or make it a build step that does not fetch or evaluate code",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		for _, f := range b.archive.Files {
			data, ok := b.files[f.Path]
			if !ok {
				continue
			}
			switch path.Base(f.Path) {
			case "package.json":
				var pkg struct {
					Scripts map[string]string `json:"scripts"`
				}
				if json.Unmarshal(data, &pkg) != nil {
					continue
				}
				for _, hook := range []string{"preinstall", "install", "postinstall", "prepare"} {
					if s, ok := pkg.Scripts[hook]; ok && hookPatterns.MatchString(s) {
						res.Evidence = append(res.Evidence, Evidence{File: f.Path, Line: lineContaining(data, `"`+hook+`"`),
							Message: fmt.Sprintf("%s script fetches or evaluates code: %s", hook, s)})
					}
				}
			case "setup.py":
				if i := setupHook.FindIndex(data); i != nil {
					res.Evidence = append(res.Evidence, Evidence{File: f.Path, Line: lineOf(data, i[0]),
						Message: "setup.py overrides an install command and runs a process"})
				}
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d suspicious install hooks", len(res.Evidence)))
			return
		}
		res.pass("no suspicious install hooks")
	},
}

// setupHook matches a setup.py that replaces an install command and runs
// something from it.
var setupHook = regexp.MustCompile(`(?s)cmdclass\s*=.*(install|develop|egg_info).*(os\.system|subprocess\.|urllib|requests\.get|exec\()`)

// lineContaining is the line of the first occurrence of s, 0 if absent.
func lineContaining(data []byte, s string) int {
	if i := strings.Index(string(data), s); i >= 0 {
		return lineOf(data, i)
	}
	return 0
}

var sbomControl = control{
	id: "L1.sbom", level: 1, title: "an SBOM can be generated (CycloneDX)",
	remediation: "ship the lockfile of the bundled dependencies (package-lock.json, uv.lock, requirements.txt, go.sum)",
	run: func(b *bundle, _ Options, r *Report, res *Result) {
		doc, n, err := sbom(b)
		if err != nil {
			res.Status, res.Message = Error, err.Error()
			return
		}
		r.SBOM = doc
		res.pass(fmt.Sprintf("CycloneDX SBOM with %d components", n))
	},
}
