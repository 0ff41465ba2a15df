package catalog

// VersionLockKey is the Store.Lock key that serialises everything that may
// change which digest a version tag names, and its catalog entry.
func VersionLockKey(repository, tag string) string {
	return "version\x00" + repository + "\x00" + tag
}
