package mcpb

import "testing"

func TestIgnoreMatcher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		patterns []string
		path     string
		isDir    bool
		want     bool
	}{
		// A name without a slash matches at any depth, files and dirs.
		{[]string{"*.log"}, "debug.log", false, true},
		{[]string{"*.log"}, "a/b/debug.log", false, true},
		{[]string{"*.log"}, "debug.log.txt", false, false},
		{[]string{"*.log"}, "logs", true, false},
		{[]string{".git"}, ".git", true, true},
		{[]string{".git"}, "vendor/x/.git", true, true},
		{[]string{".env*"}, ".env.production", false, true},
		{[]string{".env*"}, "my.env", false, false},
		// Negation: the last matching pattern wins.
		{[]string{"*.log", "!keep.log"}, "keep.log", false, false},
		{[]string{"*.log", "!keep.log"}, "sub/keep.log", false, false},
		{[]string{"*.log", "!keep.log"}, "other.log", false, true},
		{[]string{"!keep.log", "*.log"}, "keep.log", false, true},
		// A trailing slash matches directories only.
		{[]string{"dir/"}, "dir", true, true},
		{[]string{"dir/"}, "dir", false, false},
		{[]string{"dir/"}, "a/dir", true, true},
		// An inner slash anchors the pattern at the root.
		{[]string{"node_modules/.cache"}, "node_modules/.cache", true, true},
		{[]string{"node_modules/.cache"}, "pkg/node_modules/.cache", true, false},
		{[]string{"docs/*.md"}, "docs/a.md", false, true},
		{[]string{"docs/*.md"}, "docs/sub/a.md", false, false},
		{[]string{"docs/*.md"}, "x/docs/a.md", false, false},
		{[]string{"/build"}, "build", true, true},
		{[]string{"/build"}, "src/build", true, false},
		// "?" is one character, not a literal question mark.
		{[]string{"secret?.txt"}, "secret1.txt", false, true},
		{[]string{"secret?.txt"}, "secret.txt", false, false},
		{[]string{"secret?.txt"}, "secret/1.txt", false, false},
		// Regexp metacharacters are literal.
		{[]string{"a+b"}, "a+b", false, true},
		{[]string{"a+b"}, "aab", false, false},
		{[]string{"(x)"}, "(x)", false, true},
		{[]string{"*.d.ts"}, "index.d.ts", false, true},
		{[]string{"*.d.ts"}, "index.dxts", false, false},
		// Bracket expressions.
		{[]string{"file[0-9].txt"}, "file7.txt", false, true},
		{[]string{"file[!0-9].txt"}, "file7.txt", false, false},
		{[]string{"file[!0-9].txt"}, "fileA.txt", false, true},
		{[]string{"file[].txt"}, "file[].txt", false, true}, // "]" right after "[" is a member, so the class never closes: literal
		{[]string{"file[.txt"}, "file[.txt", false, true},
		// Double star.
		{[]string{"**/fixtures"}, "a/b/fixtures", true, true},
		{[]string{"**/fixtures"}, "fixtures", true, true},
		{[]string{"src/**/test"}, "src/test", true, true},
		{[]string{"src/**/test"}, "src/a/b/test", true, true},
		{[]string{"src/**/test"}, "lib/src/a/test", true, false},
		{[]string{"out/**"}, "out/a/b.js", false, true},
		{[]string{"out/**"}, "out", true, false},
		{[]string{"**"}, "anything/at/all", false, true},
		// Escapes, comments and blanks.
		{[]string{`\#notes`}, "#notes", false, true},
		{[]string{`\!bang`}, "!bang", false, true},
		{[]string{"# comment"}, "# comment", false, false},
		{[]string{"", "   "}, "x", false, false},
	}
	for _, tc := range tests {
		m := newIgnoreMatcher(tc.patterns...)
		if got := m.ignored(tc.path, tc.isDir); got != tc.want {
			t.Errorf("patterns %q, path %q (dir=%v): ignored=%v, want %v", tc.patterns, tc.path, tc.isDir, got, tc.want)
		}
	}
}

func TestDefaultIgnorePatterns(t *testing.T) {
	t.Parallel()
	m := newIgnoreMatcher(DefaultIgnorePatterns...)
	for _, p := range []string{
		".DS_Store", "sub/.DS_Store", "Thumbs.db", ".gitignore", ".git", ".mcpbignore", "server.log",
		".env", ".env.local", ".env.production.local", ".npmrc", ".yarn", ".pnp.cjs", "node_modules/.cache",
		"node_modules/.bin", "dist/index.js.map", "npm-debug.log.1", "yarn-error.log", "package-lock.json",
		"sub/yarn.lock", "old-1.0.0.mcpb", "types/index.d.ts", "tsconfig.tsbuildinfo", "tsconfig.json",
	} {
		if !m.ignored(p, false) && !m.ignored(p, true) {
			t.Errorf("%s is not excluded by default", p)
		}
	}
	for _, p := range []string{
		"manifest.json", "server/index.js", "node_modules/pkg/index.js", "package.json", "icon.png",
		"README.md", "server/lib/module.py", "node_modules/pkg/node_modules/.cache/x",
	} {
		if m.ignored(p, false) {
			t.Errorf("%s is excluded by default", p)
		}
	}
}
