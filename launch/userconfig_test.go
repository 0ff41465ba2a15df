package launch

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/mcpb"
)

func ptr(f float64) *float64 { return &f }

// weather is a bundle with one option of each kind.
func weather() *mcpb.Manifest {
	return &mcpb.Manifest{
		Name: "weather",
		Server: mcpb.Server{
			Type:       mcpb.ServerNode,
			EntryPoint: "server/index.js",
			MCPConfig: &mcpb.MCPConfig{
				Command: "node",
				Args:    []string{"${__dirname}/server/index.js"},
				Env:     map[string]string{"WEATHER_API_KEY": "${user_config.api_key}", "UNITS": "units: ${user_config.units}"},
			},
		},
		UserConfig: map[string]mcpb.UserConfigOption{
			"api_key": {Type: mcpb.ConfigString, Title: "API Key", Description: "Your key", Required: true, Sensitive: true},
			"units":   {Type: mcpb.ConfigString, Title: "Units", Default: "metric"},
			"port":    {Type: mcpb.ConfigNumber, Title: "Port", Min: ptr(1), Max: ptr(65535)},
			"debug":   {Type: mcpb.ConfigBoolean, Title: "Debug"},
			"dirs":    {Type: mcpb.ConfigDirectory, Title: "Allowed directories", Multiple: true},
			"root":    {Type: mcpb.ConfigDirectory, Title: "Root"},
			"cert":    {Type: mcpb.ConfigFile, Title: "Certificate"},
		},
	}
}

func TestResolveUserConfigPrecedence(t *testing.T) {
	m := weather()
	key := func(v string) map[string][]string { return map[string][]string{"api_key": {v}} }
	tests := []struct {
		name string
		s    Sources
		want string
	}{
		{"flag beats everything", Sources{Flags: key("flag"), Stored: map[string]string{"api_key": "stored"}, Environ: []string{"WEATHER_API_KEY=alias", "MPAK_USER_CONFIG_API_KEY=env"}}, "flag"},
		{"stored beats environment", Sources{Stored: map[string]string{"api_key": "stored"}, Environ: []string{"WEATHER_API_KEY=alias", "MPAK_USER_CONFIG_API_KEY=env"}}, "stored"},
		{"env alias beats MPAK_USER_CONFIG_", Sources{Environ: []string{"MPAK_USER_CONFIG_API_KEY=env", "WEATHER_API_KEY=alias"}}, "alias"},
		{"MPAK_USER_CONFIG_", Sources{Environ: []string{"MPAK_USER_CONFIG_API_KEY=env"}}, "env"},
		{"empty flag falls through", Sources{Flags: key(""), Stored: map[string]string{"api_key": "stored"}}, "stored"},
		{"empty variable falls through", Sources{Environ: []string{"WEATHER_API_KEY=", "MPAK_USER_CONFIG_API_KEY=env"}}, "env"},
		{"last duplicate variable wins", Sources{Environ: []string{"MPAK_USER_CONFIG_API_KEY=old", "MPAK_USER_CONFIG_API_KEY=new"}}, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveUserConfig(m, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if v := got["api_key"]; !reflect.DeepEqual(v, Value{List: []string{tt.want}}) {
				t.Errorf("api_key = %#v, want %q", v, tt.want)
			}
		})
	}
}

func TestResolveUserConfigDefaults(t *testing.T) {
	home := t.TempDir()
	m := &mcpb.Manifest{UserConfig: map[string]mcpb.UserConfigOption{
		"units":   {Type: mcpb.ConfigString, Default: "metric"},
		"out":     {Type: mcpb.ConfigDirectory, Default: "${DOCUMENTS}${/}weather"}, // need not exist
		"limit":   {Type: mcpb.ConfigNumber, Default: 2.5},
		"verbose": {Type: mcpb.ConfigBoolean, Default: false},
		"dirs":    {Type: mcpb.ConfigDirectory, Multiple: true, Default: []string{"${HOME}", "${DESKTOP}"}},
		"unset":   {Type: mcpb.ConfigString},
	}}
	dirs := &SystemDirs{Home: home, Desktop: home, Documents: filepath.Join(home, "Docs"), Downloads: filepath.Join(home, "Dl")}
	got, err := ResolveUserConfig(m, Sources{Environ: []string{}, SystemDirs: dirs, Flags: map[string][]string{"units": {"imperial"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Value{
		"units":   {List: []string{"imperial"}},
		"out":     {List: []string{filepath.Join(home, "Docs", "weather")}},
		"limit":   {List: []string{"2.5"}},
		"verbose": {List: []string{"false"}},
		"dirs":    {List: []string{home, home}, Multiple: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestResolveUserConfigTypes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "projects"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key     string
		in      []string
		want    []string // nil: an error is expected
		errWant string
	}{
		{"port", []string{"8080"}, []string{"8080"}, ""},
		{"port", []string{" 1.5e3 "}, []string{"1.5e3"}, ""},
		{"port", []string{"eighty"}, nil, `"eighty" is not a number`},
		{"port", []string{"NaN"}, nil, "not a number"},
		{"port", []string{"0"}, nil, "less than the minimum 1"},
		{"port", []string{"70000"}, nil, "more than the maximum 65535"},
		{"debug", []string{"true"}, []string{"true"}, ""},
		{"debug", []string{"YES"}, []string{"true"}, ""},
		{"debug", []string{"1"}, []string{"true"}, ""},
		{"debug", []string{"no"}, []string{"false"}, ""},
		{"debug", []string{"0"}, []string{"false"}, ""},
		{"debug", []string{"False"}, []string{"false"}, ""},
		{"debug", []string{"maybe"}, nil, `"maybe" is not a boolean`},
		{"root", []string{dir}, []string{dir}, ""},
		{"root", []string{"~/projects"}, []string{filepath.Join(home, "projects")}, ""},
		{"root", []string{filepath.Join(dir, "nope")}, nil, "does not exist"},
		{"root", []string{file}, nil, "is not a directory"},
		{"cert", []string{file}, []string{file}, ""},
		{"cert", []string{dir}, nil, "is not a regular file"},
		{"dirs", []string{dir, "~/projects"}, []string{dir, filepath.Join(home, "projects")}, ""},
		{"dirs", []string{dir, file}, nil, "is not a directory"},
		{"root", []string{dir, dir}, nil, "takes one value but 2 were given"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+strings.Join(tt.in, ","), func(t *testing.T) {
			s := Sources{Flags: map[string][]string{tt.key: tt.in, "api_key": {"k"}}, Environ: []string{}, SystemDirs: &SystemDirs{Home: home}}
			got, err := ResolveUserConfig(weather(), s)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("got %v, want an error containing %q", got[tt.key], tt.errWant)
				}
				for _, part := range []string{tt.errWant, `"` + tt.key + `"`, "--config " + tt.key + "="} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not contain %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Value{List: tt.want, Multiple: tt.key == "dirs"}
			if !reflect.DeepEqual(got[tt.key], want) {
				t.Errorf("%s = %#v, want %#v", tt.key, got[tt.key], want)
			}
		})
	}
}

// The fix in an error points at the source of the bad value.
func TestResolveUserConfigErrorNamesTheSource(t *testing.T) {
	m := weather()
	_, err := ResolveUserConfig(m, Sources{
		Stored:     map[string]string{"api_key": "k", "port": "http"},
		SetCommand: "mpak config set @acme/weather",
		Environ:    []string{},
	})
	if err == nil || !strings.Contains(err.Error(), "stored config") || !strings.Contains(err.Error(), "run mpak config set @acme/weather port=NUMBER") {
		t.Errorf("stored error = %v", err)
	}
	_, err = ResolveUserConfig(m, Sources{Environ: []string{"MPAK_USER_CONFIG_API_KEY=k", "MPAK_USER_CONFIG_DEBUG=sure"}})
	if err == nil || !strings.Contains(err.Error(), "$MPAK_USER_CONFIG_DEBUG") || !strings.Contains(err.Error(), "set MPAK_USER_CONFIG_DEBUG to true") {
		t.Errorf("environment error = %v", err)
	}
}

func TestResolveUserConfigMultipleSources(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	m := weather()
	tests := []struct {
		name string
		s    Sources
		want []string
	}{
		{"repeated flag", Sources{Flags: map[string][]string{"dirs": {a, b}}}, []string{a, b}},
		{"stored JSON array", Sources{Stored: map[string]string{"dirs": `["` + a + `","` + b + `"]`}}, []string{a, b}},
		{"stored single value", Sources{Stored: map[string]string{"dirs": a}}, []string{a}},
		{"environment JSON array", Sources{Environ: []string{"MPAK_USER_CONFIG_DIRS=[\"" + b + "\"]"}}, []string{b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Environ = append(tt.s.Environ, "MPAK_USER_CONFIG_API_KEY=k")
			got, err := ResolveUserConfig(m, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Value{List: tt.want, Multiple: true}); !reflect.DeepEqual(got["dirs"], want) {
				t.Errorf("dirs = %#v, want %#v", got["dirs"], want)
			}
		})
	}
}

func TestResolveUserConfigUnknownFlag(t *testing.T) {
	_, err := ResolveUserConfig(weather(), Sources{Flags: map[string][]string{"api_kye": {"x"}, "api_key": {"x"}}, Environ: []string{}})
	if err == nil {
		t.Fatal("an unknown key was accepted")
	}
	for _, part := range []string{`"api_kye"`, "api_key, cert, debug, dirs, port, root, units"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
	_, err = ResolveUserConfig(&mcpb.Manifest{}, Sources{Flags: map[string][]string{"x": {"1"}}, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "takes no configuration") {
		t.Errorf("bundle without user_config: %v", err)
	}
}

func TestResolveUserConfigMissingRequired(t *testing.T) {
	m := weather()
	m.UserConfig["region"] = mcpb.UserConfigOption{Type: mcpb.ConfigString, Title: "Region", Required: true}
	m.UserConfig["paths"] = mcpb.UserConfigOption{Type: mcpb.ConfigDirectory, Title: "Paths", Required: true, Multiple: true}
	for name, s := range map[string]Sources{
		"absent":                {},
		"empty string":          {Flags: map[string][]string{"api_key": {""}}, Stored: map[string]string{"region": ""}},
		"empty list":            {Stored: map[string]string{"paths": "[]"}},
		"list with empty entry": {Flags: map[string][]string{"paths": {t.TempDir(), ""}}},
	} {
		t.Run(name, func(t *testing.T) {
			s.Environ = []string{}
			s.SetCommand = "mpak config set @acme/weather"
			_, err := ResolveUserConfig(m, s)
			var me *MissingError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *MissingError", err)
			}
			var keys []string
			for _, k := range me.Keys {
				keys = append(keys, k.Key)
			}
			if want := []string{"api_key", "paths", "region"}; !reflect.DeepEqual(keys, want) {
				t.Errorf("missing %v, want %v", keys, want)
			}
			if k := me.Keys[0]; k.Title != "API Key" || !k.Sensitive || !reflect.DeepEqual(k.EnvAliases, []string{"WEATHER_API_KEY"}) {
				t.Errorf("api_key = %+v", k)
			}
			msg := err.Error()
			for _, want := range []string{
				`missing required config "api_key" (API Key): run mpak config set @acme/weather api_key=VALUE, or pass --config api_key=VALUE, or set WEATHER_API_KEY`,
				`missing required config "region" (Region): run mpak config set @acme/weather region=VALUE, or pass --config region=VALUE, or set MPAK_USER_CONFIG_REGION`,
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message\n%s\ndoes not contain\n%s", msg, want)
				}
			}
		})
	}
}

func TestResolveUserConfigOptionalUnsetIsAbsent(t *testing.T) {
	got, err := ResolveUserConfig(weather(), Sources{Flags: map[string][]string{"api_key": {"k"}}, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Value{"api_key": {List: []string{"k"}}, "units": {List: []string{"metric"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestEnvVar(t *testing.T) {
	for key, want := range map[string]string{"api_key": "MPAK_USER_CONFIG_API_KEY", "api-key.v2": "MPAK_USER_CONFIG_API_KEY_V2", "Ünits": "MPAK_USER_CONFIG__NITS"} {
		if got := EnvVar(key); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestValueString(t *testing.T) {
	if got := (Value{List: []string{"/a", "/b"}, Multiple: true}).String(); got != "/a, /b" {
		t.Errorf("String = %q", got)
	}
}

// An optional multiple option whose default is [] resolves to an empty list,
// so an argument that is exactly ${user_config.dirs} spreads into nothing.
func TestEmptyListDefaultSpreadsToNoArgs(t *testing.T) {
	m := &mcpb.Manifest{
		Name: "files",
		Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "server/files",
			MCPConfig: &mcpb.MCPConfig{Command: "/bin/true", Args: []string{"--serve", "${user_config.dirs}"}}},
		UserConfig: map[string]mcpb.UserConfigOption{
			"dirs": {Type: mcpb.ConfigDirectory, Title: "Dirs", Multiple: true, Default: []string{}},
		},
	}
	values, err := ResolveUserConfig(m, Sources{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := values["dirs"]; !ok || len(v.List) != 0 {
		t.Fatalf("dirs = %+v (present %v), want an empty list", v, ok)
	}
	cmd, err := Build(Request{Manifest: m, Dir: t.TempDir(), UserConfig: values, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cmd.Args, []string{"--serve"}) {
		t.Fatalf("args = %q, want [--serve]", cmd.Args)
	}

	// Required with an empty default is still missing.
	opt := m.UserConfig["dirs"]
	opt.Required = true
	m.UserConfig["dirs"] = opt
	var missing *MissingError
	if _, err := ResolveUserConfig(m, Sources{Environ: []string{}}); !errors.As(err, &missing) {
		t.Fatalf("required with [] default: err = %v, want *MissingError", err)
	}
}
