package sqlite

import "context"

// Lock holds key within this process. That is every process writing the
// catalog: mpakd locks its data directory, so one mpakd serves it, and a
// SQLite catalog is not shared by replicas (PostgreSQL is).
func (s *Store) Lock(ctx context.Context, key string) (func(), error) {
	return s.locks.Lock(ctx, key)
}
