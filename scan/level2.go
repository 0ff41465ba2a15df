package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// binaryMagic are the headers of executables and libraries.
var binaryMagic = [][]byte{
	{0x7f, 'E', 'L', 'F'},
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, // Mach-O
	{0xca, 0xfe, 0xba, 0xbe}, // Mach-O universal
	{'M', 'Z'},               // PE
}

// libraries are loaded by a runtime, not executed: native Node modules,
// Python extensions, shared objects.
var libraryExt = map[string]bool{".node": true, ".so": true, ".dylib": true, ".dll": true, ".pyd": true}

var executablesControl = control{
	id: "L2.executables", level: 2, title: "no executables the manifest does not reference",
	remediation: "remove the executable, or reference it from server.entry_point or mcp_config",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		referenced := referencedPaths(b)
		for _, f := range b.archive.Files {
			ext := path.Ext(f.Path)
			isBinary := false
			for _, m := range binaryMagic {
				isBinary = isBinary || bytes.HasPrefix(b.head[f.Path], m)
			}
			executable := f.Mode&0o111 != 0
			switch {
			case !isBinary && !executable, referenced[f.Path], libraryExt[ext],
				strings.Contains(f.Path, "node_modules/.bin/"), strings.HasPrefix(f.Path, "node_modules/") && !isBinary:
				continue
			}
			what := "executable file"
			if isBinary {
				what = "native executable"
			}
			res.Evidence = append(res.Evidence, Evidence{File: f.Path, Message: what + " not referenced by manifest.json"})
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d unreferenced executables", len(res.Evidence)))
			return
		}
		res.pass("every executable is referenced by the manifest")
	},
}

// referencedPaths are the bundle paths manifest.json runs: the entry point
// and what mcp_config (and its platform overrides) names under
// ${__dirname}.
func referencedPaths(b *bundle) map[string]bool {
	m := b.archive.Manifest
	out := map[string]bool{path.Clean(m.Server.EntryPoint): true}
	add := func(s string) {
		if rest, ok := strings.CutPrefix(s, "${__dirname}/"); ok {
			out[path.Clean(rest)] = true
		}
	}
	if c := m.Server.MCPConfig; c != nil {
		add(c.Command)
		for _, a := range c.Args {
			add(a)
		}
		for _, o := range c.PlatformOverrides {
			add(o.Command)
			for _, a := range o.Args {
				add(a)
			}
		}
	}
	return out
}

var lockfileControl = control{
	id: "L2.lockfile", level: 2, title: "dependencies are pinned by a lockfile with hashes",
	remediation: "ship the ecosystem's lockfile with integrity hashes: package-lock.json, uv.lock, requirements.txt with --hash (pip-compile --generate-hashes), go.sum",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		l := findLockfiles(b)
		deps := dependencies(b)
		switch b.archive.Manifest.Server.Type {
		case mcpbNode:
			if len(l.npm) == 0 && declaresNPMDependencies(b) {
				res.fail("package.json declares dependencies but the bundle has no lockfile", Evidence{File: "package.json",
					Message: "no node_modules/.package-lock.json (npm install writes it) or package-lock.json (mpak bundle pack leaves it out unless .mcpbignore says !package-lock.json)"})
				return
			}
		case mcpbPython, mcpbUV:
			if len(l.uv) == 0 && len(l.requirements) == 0 && (b.files["pyproject.toml"] != nil || b.files["setup.py"] != nil) {
				res.fail("the Python project has no uv.lock or requirements.txt", Evidence{Message: "no lockfile"})
				return
			}
		case mcpbBinary:
			if len(l.gomod) > 0 && len(l.gosum) == 0 {
				res.fail("go.mod without go.sum", Evidence{File: l.gomod[0], Message: "no go.sum"})
				return
			}
		}
		for _, d := range deps {
			if !d.Hashed {
				res.Evidence = append(res.Evidence, Evidence{File: d.File, Line: d.Line, Message: fmt.Sprintf("%s %s@%s has no hash", d.Ecosystem, d.Name, d.Version)})
			}
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d of %d pinned dependencies have no hash", len(res.Evidence), len(deps)))
			return
		}
		res.pass(fmt.Sprintf("%d dependencies pinned with hashes", len(deps)))
	},
}

// Server types (mcpb's), repeated here for the switch above.
const (
	mcpbNode   = "node"
	mcpbPython = "python"
	mcpbBinary = "binary"
	mcpbUV     = "uv"
)

func declaresNPMDependencies(b *bundle) bool {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	return json.Unmarshal(b.files["package.json"], &pkg) == nil && len(pkg.Dependencies) > 0
}

// injection are phrasings that address the model rather than describe a
// tool: instruction overrides, hidden directives, exfiltration.
var injection = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`(?i)\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|earlier|all)\b.{0,20}\b(instructions?|prompts?|rules?)`), "asks the model to ignore its instructions"},
	{regexp.MustCompile(`(?i)<\s*(important|system|secret|instructions?)\s*>`), "hidden directive tag"},
	{regexp.MustCompile(`(?i)\b(do not|don't|never)\s+(tell|inform|mention|reveal)\b.{0,30}\b(user|human)`), "asks the model to hide something from the user"},
	{regexp.MustCompile(`(?i)\b(send|post|upload|forward|exfiltrate)\b.{0,60}\bhttps?://`), "sends data to a URL"},
	{regexp.MustCompile(`(?i)(~|\$HOME|/home/[^/\s]+)/\.(ssh|aws|gnupg|config/gcloud)|id_rsa|\.env\b`), "reads credentials from the user's machine"},
	{regexp.MustCompile(`[A-Za-z0-9+/]{80,}={0,2}`), "long base64 blob"},
	{regexp.MustCompile("[\u200b-\u200f\u2060-\u2064\ufeff]|[\U000E0000-\U000E007F]"), "invisible characters (zero-width or Unicode tags)"},
}

var injectionControl = control{
	id: "L2.prompt-injection", level: 2, title: "no prompt-injection or exfiltration patterns in tool and prompt descriptions",
	remediation: "describe what the tool does for the user; never address the model with instructions, hidden text or URLs to send data to",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		m := b.archive.Manifest
		check := func(where, s string) {
			for _, p := range injection {
				if p.re.MatchString(s) {
					res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: where + ": " + p.what})
				}
			}
		}
		check("description", m.Description)
		for _, t := range m.Tools {
			check("tool "+t.Name, t.Description)
		}
		for _, p := range m.Prompts {
			check("prompt "+p.Name, p.Description+"\n"+p.Text)
		}
		if len(res.Evidence) > 0 {
			res.fail(fmt.Sprintf("%d suspicious descriptions", len(res.Evidence)))
			return
		}
		res.pass("descriptions read as descriptions")
	},
}

var authorControl = control{
	id: "L2.author-source", level: 2, title: "author and an https source repository are declared",
	remediation: "set author.name and repository {\"type\": \"git\", \"url\": \"https://…\"} in manifest.json",
	run: func(b *bundle, _ Options, _ *Report, res *Result) {
		m := b.archive.Manifest
		if strings.TrimSpace(m.Author.Name) == "" {
			res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: "author.name is empty"})
		}
		if m.Repository == nil || m.Repository.URL == "" {
			res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: "no repository"})
		} else if u, err := url.Parse(m.Repository.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			res.Evidence = append(res.Evidence, Evidence{File: "manifest.json", Message: fmt.Sprintf("repository.url %q is not an https URL", m.Repository.URL)})
		}
		if len(res.Evidence) > 0 {
			res.fail("author or source repository missing")
			return
		}
		res.pass(m.Author.Name + ", " + m.Repository.URL)
	},
}
