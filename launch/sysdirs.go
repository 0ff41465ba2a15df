package launch

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// SystemDirs are the user's well-known directories, which manifests refer to
// as ${HOME}, ${DESKTOP}, ${DOCUMENTS} and ${DOWNLOADS}. An empty field
// leaves its variable undefined, so the literal ${…} stays visible instead of
// silently becoming "".
type SystemDirs struct {
	Home      string
	Desktop   string
	Documents string
	Downloads string
}

// DefaultSystemDirs returns this user's directories. On Linux and the BSDs
// they come from the XDG user-dirs configuration (what file managers show as
// Desktop, Documents, Downloads, possibly localised), falling back to the
// English names under the home directory, which is also what macOS and
// Windows use. The XDG variables are read from environ.
func DefaultSystemDirs(environ []string) *SystemDirs {
	home, _ := os.UserHomeDir()
	return systemDirs(runtime.GOOS, home, func(k string) string { v, _ := lookupEnv(environ, k); return v })
}

func systemDirs(goos, home string, getenv func(string) string) *SystemDirs {
	d := &SystemDirs{Home: home}
	if home == "" {
		return d
	}
	d.Desktop = filepath.Join(home, "Desktop")
	d.Documents = filepath.Join(home, "Documents")
	d.Downloads = filepath.Join(home, "Downloads")
	if goos == "darwin" || goos == "windows" {
		return d
	}
	cfg := getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	xdg := readUserDirs(filepath.Join(cfg, "user-dirs.dirs"), home)
	// The environment overrides the file, as in xdg-user-dir(1).
	for _, name := range []string{"XDG_DESKTOP_DIR", "XDG_DOCUMENTS_DIR", "XDG_DOWNLOAD_DIR"} {
		if v := getenv(name); v != "" {
			xdg[name] = v
		}
	}
	set := func(dst *string, name string) {
		// user-dirs.dirs sets a directory to $HOME itself to disable it;
		// the conventional name is more useful than the home directory.
		if v := xdg[name]; v != "" && filepath.Clean(v) != filepath.Clean(home) {
			*dst = v
		}
	}
	set(&d.Desktop, "XDG_DESKTOP_DIR")
	set(&d.Documents, "XDG_DOCUMENTS_DIR")
	set(&d.Downloads, "XDG_DOWNLOAD_DIR")
	return d
}

// readUserDirs parses xdg-user-dirs' shell fragment: lines such as
// XDG_DESKTOP_DIR="$HOME/Desktop", where the value is "$HOME/…" or an absolute
// path. Anything else is skipped: the file is optional, and a bad line must
// not stop a server from starting.
func readUserDirs(path, home string) map[string]string {
	dirs := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return dirs
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "XDG_") || !strings.HasSuffix(name, "_DIR") {
			continue
		}
		if v, err := strconv.Unquote(value); err == nil {
			value = v
		}
		switch {
		case value == "$HOME":
			value = home
		case strings.HasPrefix(value, "$HOME/"):
			value = filepath.Join(home, value[len("$HOME/"):])
		case !filepath.IsAbs(value):
			continue
		}
		dirs[name] = value
	}
	return dirs
}
