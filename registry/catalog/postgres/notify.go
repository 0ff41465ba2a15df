package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/catalog/sqlstore"
)

// relistenDelay is how long ChangeNotifications waits to reconnect after
// losing its connection; the engine polls meanwhile.
const relistenDelay = time.Second

// ChangeNotifications delivers (coalesced) every time a transaction that
// changed the catalog commits, in any process sharing the database: the
// writers NOTIFY sqlstore.ChangeChannel with their schema, and a
// connection of its own LISTENs. It also delivers after each (re)connect,
// for what committed while it was not listening. The channel is closed
// when ctx ends. Notifications are a hint to read the change feed now; a
// reader still polls, as a dropped connection loses them.
func (s *Store) ChangeNotifications(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		for ctx.Err() == nil {
			s.listen(ctx, ch)
			select {
			case <-ctx.Done():
			case <-time.After(relistenDelay):
			}
		}
	}()
	return ch
}

// listen delivers notifications to ch until the connection fails or ctx
// ends.
func (s *Store) listen(ctx context.Context, ch chan<- struct{}) {
	conn, err := pgx.ConnectConfig(ctx, s.listenConfig.Copy())
	if err != nil {
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+sqlstore.ChangeChannel); err != nil {
		return
	}
	wake(ch)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		// Other schemas of the database (other catalogs) notify too.
		if n.Payload == s.schema {
			wake(ch)
		}
	}
}

// wake delivers without blocking: one pending wake-up covers any number.
func wake(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
