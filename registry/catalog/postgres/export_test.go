package postgres

// LockID is the advisory lock Lock takes for key, for tests that find its
// holder in pg_locks.
func LockID(s *Store, key string) int64 { return lockID(s.schema, key) }
