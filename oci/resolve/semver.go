package resolve

// IsSemverTag reports whether tag spells a semantic version (as "1.2.0",
// "v1.2.0" or "1.2.0_build.5"): the tags Select ranks as releases, so what
// they hold decides what latest and ranges resolve to.
func IsSemverTag(tag string) bool {
	if !IsVersionTag(tag) {
		return false
	}
	_, ok := parseSemver(VersionOf(tag))
	return ok
}
