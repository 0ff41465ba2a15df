package mcpb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// IgnoreFile is the per-bundle exclude list, read from the packed directory.
const IgnoreFile = ".mcpbignore"

// DefaultIgnorePatterns are excluded from every bundle. The list is the MCPB
// CLI's (src/node/files.ts), so that a directory packs to the same file set
// with either tool.
var DefaultIgnorePatterns = []string{
	".DS_Store", "Thumbs.db", ".gitignore", ".git", ".mcpbignore", "*.log", ".env*",
	".npm", ".npmrc", ".yarnrc", ".yarn", ".eslintrc", ".editorconfig", ".prettierrc",
	".prettierignore", ".eslintignore", ".nycrc", ".babelrc", ".pnp.*",
	"node_modules/.cache", "node_modules/.bin", "*.map", ".env.local", ".env.*.local",
	"npm-debug.log*", "yarn-debug.log*", "yarn-error.log*", "package-lock.json",
	"yarn.lock", "*.mcpb", "*.d.ts", "*.tsbuildinfo", "tsconfig.json",
}

// ignoreMatcher applies gitignore rules to slash paths relative to the
// bundle root. It is our own because github.com/sabhiram/go-gitignore gets
// too much wrong for a reproducible file set: "?" only matches a literal
// "?", regexp metacharacters such as "+" and "(" leak through unescaped, and
// a pattern with an inner slash ("node_modules/.cache") is not anchored to
// the root as gitignore (and the npm "ignore" package the MCPB CLI uses)
// anchor it.
//
// Only the path itself is matched: the pack walk does not descend into an
// ignored directory, which gives gitignore's "a file under an excluded
// directory cannot be re-included" for free.
type ignoreMatcher struct {
	patterns []ignorePattern
}

type ignorePattern struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
	source  string
}

func newIgnoreMatcher(lines ...string) *ignoreMatcher {
	m := &ignoreMatcher{}
	for _, line := range lines {
		if p, ok := compileIgnorePattern(line); ok {
			m.patterns = append(m.patterns, p)
		}
	}
	return m
}

// ignored reports whether rel (a slash path, no trailing slash) is
// excluded. The last matching pattern wins, as in gitignore.
func (m *ignoreMatcher) ignored(rel string, isDir bool) bool {
	ignored := false
	for _, p := range m.patterns {
		if p.dirOnly && !isDir {
			continue
		}
		if p.re.MatchString(rel) {
			ignored = !p.negate
		}
	}
	return ignored
}

// readIgnoreFile returns the lines of dir/.mcpbignore, trimmed, without
// blanks and comments, as the MCPB CLI reads them. A missing file is fine.
func readIgnoreFile(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", IgnoreFile, err)
	}
	var lines []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// compileIgnorePattern turns one gitignore line into a regexp. It reports
// false for blank lines, comments and patterns that can never match.
func compileIgnorePattern(line string) (ignorePattern, bool) {
	p := ignorePattern{source: line}
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return p, false
	}
	if strings.HasPrefix(line, "!") {
		p.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return p, false
	}
	// A slash anywhere but at the end ties the pattern to the root;
	// otherwise it matches a name at any depth.
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")

	var expr strings.Builder
	expr.WriteString("^")
	if !anchored {
		expr.WriteString("(?:.*/)?")
	}
	segs := strings.Split(line, "/")
	needSlash := false
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == "**" {
			switch {
			case len(segs) == 1:
				expr.WriteString(".*")
			case i == 0: // "**/x": x at any depth
				expr.WriteString("(?:.*/)?")
				needSlash = false
			case last: // "x/**": everything inside x, not x itself
				expr.WriteString("/.+")
			default: // "a/**/b": zero or more directories between
				expr.WriteString("/(?:.*/)?")
				needSlash = false
			}
			continue
		}
		if needSlash {
			expr.WriteString("/")
		}
		globSegment(&expr, seg)
		needSlash = true
	}
	expr.WriteString("$")
	re, err := regexp.Compile(expr.String())
	if err != nil {
		// Only a malformed bracket expression can get here; git treats
		// such a pattern as matching nothing, and so do we.
		return p, false
	}
	p.re = re
	return p, true
}

// globSegment writes the regexp for one path segment of a glob.
func globSegment(b *strings.Builder, seg string) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch c {
		case '*':
			for i+1 < len(seg) && seg[i+1] == '*' {
				i++ // "**" inside a segment is just "*"
			}
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 < len(seg) {
				i++
				b.WriteString(regexp.QuoteMeta(seg[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		case '[':
			end := bracketEnd(seg, i)
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			writeBracket(b, seg[i+1:end])
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(seg[i : i+1]))
		}
	}
}

// bracketEnd finds the "]" closing the class opened at seg[start], or -1.
// A "]" right after "[" or "[!" is a literal member, as in fnmatch.
func bracketEnd(seg string, start int) int {
	i := start + 1
	if i < len(seg) && (seg[i] == '!' || seg[i] == '^') {
		i++
	}
	if i < len(seg) && seg[i] == ']' {
		i++
	}
	for ; i < len(seg); i++ {
		switch seg[i] {
		case '\\':
			i++
		case ']':
			return i
		}
	}
	return -1
}

func writeBracket(b *strings.Builder, class string) {
	b.WriteString("[")
	if class != "" && (class[0] == '!' || class[0] == '^') {
		b.WriteString("^/")
		class = class[1:]
	}
	for i := 0; i < len(class); i++ {
		c := class[i]
		if c == '\\' && i+1 < len(class) {
			i++
			c = class[i]
		}
		switch {
		case c == '-':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
			b.WriteByte(c)
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	b.WriteString("]")
}
