// Package launch turns an extracted MCP bundle into a running stdio MCP
// server.
//
// It is the last step of "mpak bundle run": the bundle has been pulled,
// verified and extracted into a directory, and what remains is host work that
// the MCPB format leaves to its hosts:
//
//   - ResolveUserConfig gathers the bundle's user_config values from flags,
//     stored settings, the environment and the manifest's defaults, checks
//     their types, and reports every missing required key at once.
//   - CheckCompatibility refuses a bundle built for another platform or a
//     runtime (node, python) the host's does not satisfy.
//   - Build applies platform_overrides and ${…} substitution the way the MCPB
//     reference host does, then fills in what each server.type implies: the
//     runtime, the entry point, PYTHONPATH, the exec bit of a binary.
//   - Exec hands the process over to the server (on Unix it replaces mpak, so
//     stdio, signals and the exit status are the server's own); Run does the
//     same as a child process for callers that need to stay alive.
//
// Nothing here writes to stdout: it belongs to the server and its MCP client.
package launch
