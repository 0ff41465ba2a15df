package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/mpak-oci/mpak/mcpb"
)

// Request is what Build needs to know about a bundle and the host.
type Request struct {
	Manifest *mcpb.Manifest
	// Dir is the extracted bundle's root; a relative path is made absolute.
	Dir        string
	UserConfig map[string]Value
	// GOOS picks the platform_overrides entry; "" means runtime.GOOS.
	// Overrides are keyed by Node's platform names (darwin, win32, linux);
	// Go's names are accepted too.
	GOOS string
	// Environ is the environment the server inherits (the CLI passes its
	// own); nil is none.
	Environ []string
	// SystemDirs are ${HOME} and friends; nil means DefaultSystemDirs(Environ).
	SystemDirs *SystemDirs
	// LookPath finds a bare command name; nil means exec.LookPath.
	LookPath func(string) (string, error)
}

// Command is a fully resolved server process.
type Command struct {
	// Path is the executable, absolute or as LookPath returned it. It is
	// also argv[0].
	Path string
	// Args are the arguments, without argv[0].
	Args []string
	// Env is the complete environment; nil inherits this process's.
	Env []string
	// Dir is the working directory; "" keeps the caller's. Build leaves it
	// empty: servers resolve paths the user gives them (a file to open, a
	// directory to serve) against the directory the user ran mpak in, and
	// the bundle finds its own files through ${__dirname}.
	Dir string
}

// Build works out the command line that starts the bundle's server:
// mcp_config with the platform's override applied (each of command, args and
// env replaces the base one, as in MCPB), variables substituted, then the
// defaults of its server.type:
//
//   - node: command "node"; args [Dir/entry_point] when mcp_config has none.
//   - python: "python" or "python3" (or none) runs python3, else python,
//     whichever is on PATH; args as for node; Dir/server/lib, where bundles
//     keep their dependencies, goes first on PYTHONPATH.
//   - binary: a command naming a file in the bundle runs that file, made
//     executable first (.exe is added on Windows when missing).
//   - uv: without mcp_config, "uv run --project Dir Dir/entry_point".
//
// The environment is Environ with the bundle's env on top. User config
// reaches the server only where the manifest's args and env refer to it.
func Build(r Request) (*Command, error) {
	m := r.Manifest
	if m == nil {
		return nil, errors.New("launch: Build needs a manifest")
	}
	dir, err := filepath.Abs(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("bundle directory %q: %w", r.Dir, err)
	}
	if r.GOOS == "" {
		r.GOOS = runtime.GOOS
	}
	if r.SystemDirs == nil {
		r.SystemDirs = DefaultSystemDirs(r.Environ)
	}
	if r.LookPath == nil {
		r.LookPath = exec.LookPath
	}
	sep, listSep := "/", ":"
	if r.GOOS == "windows" || r.GOOS == "win32" {
		sep, listSep = `\`, ";"
	}

	b := &builder{r: r, dir: dir}
	cfg := effectiveConfig(m.Server.MCPConfig, r.GOOS)
	v := bundleVars(dir, r.SystemDirs, sep, r.UserConfig)
	command := v.expand(cfg.Command)
	args := v.expandArgs(cfg.Args)
	env := v.expandEnv(cfg.Env)
	defaultArgs := len(cfg.Args) == 0

	switch m.Server.Type {
	case mcpb.ServerNode:
		if command == "" {
			command = "node"
		}
		if defaultArgs {
			if args, err = b.entryPointArgs(); err != nil {
				return nil, err
			}
		}
	case mcpb.ServerPython:
		if command == "" || command == "python" || command == "python3" {
			if command, err = b.python(); err != nil {
				return nil, err
			}
		}
		if defaultArgs {
			if args, err = b.entryPointArgs(); err != nil {
				return nil, err
			}
		}
		if lib := filepath.Join(dir, "server", "lib"); isDir(lib) {
			env = withPythonPath(env, r.Environ, lib, listSep, r.GOOS)
		}
	case mcpb.ServerBinary:
		if command == "" {
			command = m.Server.EntryPoint
		}
	case mcpb.ServerUV:
		if m.Server.MCPConfig == nil {
			// --project rather than --directory: the latter would also
			// change the server's working directory (see Command.Dir).
			command = "uv"
			args = []string{"run", "--project", dir, filepath.Join(dir, m.Server.EntryPoint)}
		}
	default:
		return nil, fmt.Errorf("server type %q is not supported by this mpak (it knows node, python, binary and uv): upgrade mpak", m.Server.Type)
	}

	path, err := b.resolve(command, m.Server.Type == mcpb.ServerBinary)
	if err != nil {
		return nil, err
	}
	return &Command{
		Path: path,
		Args: args,
		Env:  mergeEnv(r.Environ, env, r.GOOS),
	}, nil
}

// effectiveConfig applies the override for goos. mcp_config is optional only
// for uv; a missing one is treated as empty so that every type's defaults
// still apply.
func effectiveConfig(mc *mcpb.MCPConfig, goos string) mcpb.MCPConfig {
	if mc == nil {
		return mcpb.MCPConfig{}
	}
	cfg := *mc
	o, ok := mc.PlatformOverrides[nodePlatform(goos)]
	if !ok {
		o, ok = mc.PlatformOverrides[goos]
	}
	if !ok {
		return cfg
	}
	// A set field replaces the base one. An empty list or map is set:
	// "args": [] in an override clears the base args, as in MCPB.
	if o.Command != "" {
		cfg.Command = o.Command
	}
	if o.Args != nil {
		cfg.Args = o.Args
	}
	if o.Env != nil {
		cfg.Env = o.Env
	}
	return cfg
}

// nodePlatform is Node's process.platform for a GOOS, the name manifests
// use.
func nodePlatform(goos string) string {
	if goos == "windows" {
		return "win32"
	}
	return goos
}

type builder struct {
	r   Request
	dir string
}

// entryPointArgs is the default argument list: the entry point's path.
func (b *builder) entryPointArgs() ([]string, error) {
	ep := b.r.Manifest.Server.EntryPoint
	p, ok := b.inBundle(ep)
	if !ok || !isFile(p) {
		return nil, fmt.Errorf("entry point %q is not in the bundle (%s): the bundle is broken; ask its publisher to fix server.entry_point in manifest.json", ep, b.dir)
	}
	return []string{p}, nil
}

// python picks the interpreter's name for a python bundle. python3 comes
// first: on many systems "python" is absent or still Python 2.
func (b *builder) python() (string, error) {
	for _, name := range []string{"python3", "python"} {
		if _, err := b.r.LookPath(name); err == nil {
			return name, nil
		}
	}
	return "", fmt.Errorf("this bundle needs Python, but neither python3 nor python is on PATH: %s", installHint("python3"))
}

// resolve turns the command into a path. A path inside the bundle must
// exist there; a bare name is looked up on PATH, except that a binary
// bundle's own file of that name wins.
func (b *builder) resolve(command string, binary bool) (string, error) {
	if command == "" {
		return "", errors.New("the bundle's mcp_config has no command: ask its publisher to fix manifest.json")
	}
	bare := !strings.ContainsAny(command, `/\`)
	if filepath.IsAbs(command) || !bare || binary {
		p := command
		if !filepath.IsAbs(p) {
			p = filepath.Join(b.dir, p)
		}
		p = b.withExe(p)
		_, inside := b.inBundle(p)
		switch {
		case isFile(p):
			if binary && inside {
				if err := makeExecutable(p); err != nil {
					return "", err
				}
			}
			return p, nil
		case !bare || filepath.IsAbs(command):
			return "", fmt.Errorf("the server command %s does not exist: the bundle is incomplete or built for another platform; check \"mpak bundle inspect\" for a build for this platform", p)
		}
	}
	p, err := b.r.LookPath(command)
	if err != nil {
		return "", fmt.Errorf("this bundle needs %s, which is not on PATH: %s", command, installHint(command))
	}
	return p, nil
}

// inBundle joins a bundle-relative (or already absolute) path onto the
// bundle root and reports whether it stays inside it.
func (b *builder) inBundle(p string) (string, bool) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(b.dir, p)
	}
	rel, err := filepath.Rel(b.dir, p)
	return p, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// withExe adds .exe on Windows when only that file exists, as MCPB hosts do
// so that one manifest serves every platform's build.
func (b *builder) withExe(p string) string {
	if b.r.GOOS != "windows" && b.r.GOOS != "win32" {
		return p
	}
	if !strings.EqualFold(filepath.Ext(p), ".exe") && !isFile(p) && isFile(p+".exe") {
		return p + ".exe"
	}
	return p
}

// makeExecutable sets the owner's exec bit: zip tools often drop mode bits,
// and a bundle's binary must run after extraction wherever it came from.
func makeExecutable(p string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&0o100 != 0 {
		return nil
	}
	if err := os.Chmod(p, fi.Mode().Perm()|0o100); err != nil {
		return fmt.Errorf("making the server binary executable: %w (check the permissions of %s)", err, filepath.Dir(p))
	}
	return nil
}

// installHint says how to get a missing runtime.
func installHint(name string) string {
	switch strings.TrimSuffix(strings.ToLower(name), ".exe") {
	case "node", "npx":
		return "install Node.js (https://nodejs.org/) or put it on PATH"
	case "python", "python3":
		return "install Python 3 (https://www.python.org/downloads/) or put it on PATH"
	case "uv", "uvx":
		return "install uv (https://docs.astral.sh/uv/) or put it on PATH"
	}
	return "install it or add its directory to PATH"
}

// withPythonPath puts lib first on the PYTHONPATH the server would otherwise
// get: the bundle's own, else the inherited one.
func withPythonPath(env map[string]string, environ []string, lib, listSep, goos string) map[string]string {
	cur, ok := env["PYTHONPATH"]
	if !ok {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && envNameEqual(goos, k, "PYTHONPATH") {
				cur = v
				break
			}
		}
	}
	parts := []string{lib}
	for _, p := range strings.Split(cur, listSep) {
		if p != "" && filepath.Clean(p) != lib {
			parts = append(parts, p)
		}
	}
	if env == nil {
		env = map[string]string{}
	}
	env["PYTHONPATH"] = strings.Join(parts, listSep)
	return env
}

// mergeEnv is environ with env on top: the bundle's value wins for its own
// keys, and host variables (PATH, HOME, proxies…) are kept. Duplicates in
// environ collapse to the last one, as os/exec does, because syscall.Exec
// would pass them on as they are.
func mergeEnv(environ []string, env map[string]string, goos string) []string {
	out := make([]string, 0, len(environ)+len(env))
	index := map[string]int{}
	norm := func(k string) string {
		if goos == "windows" || goos == "win32" {
			return strings.ToUpper(k)
		}
		return k
	}
	put := func(k, kv string) {
		if i, ok := index[norm(k)]; ok {
			out[i] = kv
			return
		}
		index[norm(k)] = len(out)
		out = append(out, kv)
	}
	for _, kv := range environ {
		// Windows keeps per-drive directories in variables such as
		// "=C:=C:\dir", whose names start with "=".
		k, _, ok := strings.Cut(kv[min(1, len(kv)):], "=")
		if !ok {
			continue
		}
		put(kv[:min(1, len(kv))]+k, kv)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		put(k, k+"="+env[k])
	}
	return out
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
