package launch

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSystemDirsXDG(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	userDirs := `# written by xdg-user-dirs-update
XDG_DESKTOP_DIR="$HOME/Bureau"
XDG_DOCUMENTS_DIR="/data/docs"
XDG_DOWNLOAD_DIR="$HOME"
XDG_MUSIC_DIR="relative/ignored"
not a line
`
	if err := os.WriteFile(filepath.Join(cfg, "user-dirs.dirs"), []byte(userDirs), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": cfg}
	got := systemDirs("linux", home, func(k string) string { return env[k] })
	want := SystemDirs{
		Home:      home,
		Desktop:   filepath.Join(home, "Bureau"),
		Documents: "/data/docs",
		Downloads: filepath.Join(home, "Downloads"), // $HOME means "disabled"
	}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}

	env["XDG_DESKTOP_DIR"] = "/env/desk"
	if got := systemDirs("linux", home, func(k string) string { return env[k] }); got.Desktop != "/env/desk" {
		t.Errorf("XDG_DESKTOP_DIR did not override the file: %q", got.Desktop)
	}
}

func TestSystemDirsFallbacks(t *testing.T) {
	home := t.TempDir()
	none := func(string) string { return "" }
	for _, goos := range []string{"linux", "darwin", "windows"} {
		got := systemDirs(goos, home, none)
		want := SystemDirs{Home: home, Desktop: filepath.Join(home, "Desktop"), Documents: filepath.Join(home, "Documents"), Downloads: filepath.Join(home, "Downloads")}
		if *got != want {
			t.Errorf("%s: got %+v, want %+v", goos, *got, want)
		}
	}
	if got := systemDirs("linux", "", none); *got != (SystemDirs{}) {
		t.Errorf("without a home directory: %+v, want all empty", *got)
	}
}
