// Package cache keeps extracted MCP bundles on disk, keyed by the digest of
// their .mcpb layer, so that a bundle is downloaded and unpacked once and
// every later run starts from the extracted tree without the network.
//
// The layout under the cache root is
//
//	bundles/<alg>/<hex>/bundle/     the extracted bundle (Entry.Dir)
//	bundles/<alg>/<hex>/meta.json   where it came from; its mtime is the last use
//	refs/<key>.json                 resolutions of tags and digests (Remember)
//	tmp/                            work in progress, and leftovers of killed processes
//
// An entry is built completely under tmp/ and published with a single
// directory rename, so it either exists whole or not at all: a process killed
// at any point leaves only a directory under tmp/, which no lookup reads. The
// process holds a lock on a file in that directory while it works, which the
// system releases when it dies; the next Open, or Prune, removes directories
// whose lock is free, and never one whose owner is alive. Directories that
// cannot be proven dead that way (file systems without locks, versions
// before the lock) are left to Prune once an hour old. Two processes
// installing the same bundle each build their own copy; the first rename
// wins and the other process uses the winner's tree.
//
// Durability: on Linux the staged tree is flushed with one syncfs(2) before
// it is published, so after a power loss a published entry is never a tree
// of empty files. Elsewhere the tree is not flushed (syncing each file costs
// a disk flush per file, and bundles hold thousands); should a crash damage
// an entry there, `mpak cache rm` and a fresh run repair it. Resolutions are
// not flushed anywhere: a torn one reads as missing and costs one registry
// round trip.
package cache
